"""Generated files, one mechanism for every generator (rules, routing, dashboards, deploy/,
the docs tables, the compose Prometheus config): which files regenerating would change, write
those, or, under `--check`, name each on stderr and exit 1.

`files` maps each output path to its full text, header included.
"""
from __future__ import annotations

import sys
from pathlib import Path


def stale(files: dict[Path, str]) -> list[Path]:
    """The paths that are missing or whose text differs from what is generated."""
    return [path for path, text in files.items() if not path.is_file() or path.read_text() != text]


def write(files: dict[Path, str]) -> list[Path]:
    """Write the stale files (making their folders); returns them. Raises OSError."""
    changed = stale(files)
    for path in changed:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(files[path])
    return changed


def check(paths: list[Path], command: str) -> int:
    """`--check`'s answer for `paths` (from stale()): each named on stderr with the command that
    regenerates it; exit status 1 if any, else 0."""
    for path in paths:
        print(f"{path} is out of date: run `{command}`", file=sys.stderr)
    return 1 if paths else 0
