"""One-off (issue 24, merge time): move the exporters' and the receiver's modules from the stdlib's
`logging` to Lookout's own logger (lookout/exporters/runtime/logs.py).

    python switch_loggers.py [ROOT]      # ROOT: the checkout, default the current directory

In each module under the paths below that has a top-level `import logging`:
  - `import logging` goes; `from lookout.exporters.runtime.logs import get_logger` (relative
    `from .logs import ...` inside the runtime) comes, merged with an existing import of that
    module, placed among the first-party imports;
  - `logging.getLogger(` -> `get_logger(`, `logging.INFO` (DEBUG, WARNING, ERROR, CRITICAL) -> the
    same name imported from logs.
A module still naming `logging.` afterwards is reported and left untouched (exit 1). Idempotent.
Delete this file once it has run.
"""
from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

TARGETS = ("lookout/exporters", "lookout/systems/*/exporter", "lookout/pm2rpc", "lookout/remediate",
           "tests/packaging/sixth_system/exporter")
# They are the logger: logs.py never imports logging, logbridge.py is where it is routed.
KEEP = {"lookout/exporters/runtime/logs.py", "lookout/exporters/runtime/logbridge.py"}
RUNTIME = "lookout/exporters/runtime/"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
USE = re.compile(r"\blogging\.(getLogger\(|(?:%s)\b)" % "|".join(LEVELS))


def switch(path: Path, rel: str) -> str:
    """'switched', 'unchanged' or a problem."""
    src = path.read_text()
    tree = ast.parse(src)
    top = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    plain = [n for n in top if isinstance(n, ast.Import) and [a.name for a in n.names] == ["logging"]
             and n.names[0].asname is None]
    if not plain:
        return "unchanged"
    names = {"get_logger"} if "logging.getLogger(" in src else set()
    names |= {m[1] for m in re.finditer(r"\blogging\.(%s)\b" % "|".join(LEVELS), src)}
    rest = re.sub(USE, "", src.replace("import logging\n", ""))
    if re.search(r"\blogging\.\w", rest):
        return "uses more of logging than getLogger and the level numbers: switch it by hand"

    relative = rel.startswith(RUNTIME)
    module, level = ("logs", 1) if relative else ("lookout.exporters.runtime.logs", 0)
    lines = src.splitlines(keepends=True)
    edits: list[tuple[int, int, list[str]]] = []  # (first line index, end index, replacement)

    existing = next((n for n in top if isinstance(n, ast.ImportFrom) and n.module == module and n.level == level),
                    None)
    prefix = "from ." if relative else "from "
    if existing is not None:
        names |= {a.name for a in existing.names}
        edits.append((existing.lineno - 1, existing.end_lineno, [f"{prefix}{module} import {', '.join(sorted(names))}\n"]))
    else:
        line = f"{prefix}{module} import {', '.join(sorted(names))}\n"
        same = [n for n in top if isinstance(n, ast.ImportFrom) and
                (n.level == 1 if relative else n.level == 0 and (n.module or "").startswith("lookout."))]
        after = next((n for n in same if (n.module or "") > module), None)
        if after is not None:
            edits.append((after.lineno - 1, after.lineno - 1, [line]))
        elif same:
            edits.append((same[-1].end_lineno, same[-1].end_lineno, [line]))
        else:  # no first-party import yet: a block of its own, before the package's relative ones
            local = next((n for n in top if isinstance(n, ast.ImportFrom) and n.level > 0), None)
            if local is not None and not relative:
                edits.append((local.lineno - 1, local.lineno - 1, [line, "\n"]))
            else:
                edits.append((top[-1].end_lineno, top[-1].end_lineno, ["\n", line]))
    node = plain[0]
    gone = [node.lineno - 1, node.lineno]
    # `import logging` alone between blank lines: its blank line goes with it
    if (0 < gone[0] and gone[1] < len(lines) and not lines[gone[0] - 1].strip() and not lines[gone[1]].strip()
            and all(start != gone[1] for start, _, _ in edits)):
        gone[1] += 1
    edits.append((gone[0], gone[1], []))
    for start, end, new in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        lines[start:end] = new
    out = "".join(lines)
    out = out.replace("logging.getLogger(", "get_logger(")
    out = re.sub(r"\blogging\.(%s)\b" % "|".join(LEVELS), r"\1", out)
    path.write_text(out)
    return "switched"


def main(root: Path) -> int:
    failed = 0
    for pattern in TARGETS:
        for path in sorted(root.glob(f"{pattern}/**/*.py")):
            rel = path.relative_to(root).as_posix()
            if rel in KEEP:
                continue
            result = switch(path, rel)
            if result != "unchanged":
                print(f"{rel}: {result}")
            failed += result not in ("switched", "unchanged")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else ".")))
