"""python -m tests.golden [--record] [--check]: see tests/golden/__init__.py."""
from __future__ import annotations

import argparse
import sys

from lookout.generated import check, stale, write

from . import golden_file, goldens


def files() -> dict:
    return {golden_file(m): m.render() for m in goldens()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.golden", description=__doc__)
    parser.add_argument("--record", action="store_true", help="re-record the answers from the simulators first (where one runs in-process)")
    parser.add_argument("--update", action="store_true", help="rewrite the golden files (the default)")
    parser.add_argument("--check", action="store_true", help="exit 1 if a golden file is stale")
    args = parser.parse_args(argv)
    if args.record:
        for m in goldens():
            if m.record is None:  # written by hand from the cited sources: kept as they are (see the package docstring)
                print(f"{m.NAME}: recorded answers kept as they are (no in-process backend to re-record from)")
                continue
            m.record()
    out = files()
    if args.check:
        return check(stale(out), "python -m tests.golden")
    write(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
