"""What logging costs an exporter in memory: Lookout's logger (runtime/logs.py) beside the stdlib's
`logging`, each imported into a fresh `python -S` process (issue 24).

Each row is a child process that imports what an exporter already has before it logs (socket,
selectors, threading, json, runtime/secrets.py), then the row's subject, then reads its RSS and
PSS from /proc/self/smaps_rollup; medians of `--runs` children. logs.py is loaded alone, the
runtime package's __init__ bypassed, so the row is the module and not the runtime it sits in. `--baseline DIR` adds the logs.py of another checkout (`git archive <commit>
| tar -x -C DIR`: main's imports `logging`) in the same run.

    .venv/bin/python bench/logs_import.py [--runs 9] [--baseline DIR]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import sys, types
import socket, selectors, threading, json  # an exporter has these before it logs
root, subject = sys.argv[1], sys.argv[2]
# The runtime package's __init__ imports the whole runtime: stubs, so only the modules named load.
for name in ("lookout", "lookout.exporters", "lookout.exporters.runtime"):
    m = types.ModuleType(name)
    m.__path__ = [root + "/" + name.replace(".", "/")]
    sys.modules[name] = m
from lookout.exporters.runtime import secrets  # every exporter has it (Secret, redact)

if subject == "logging":
    import logging
    logging.getLogger("lookout").warning("x")
elif subject == "logs":
    from lookout.exporters.runtime import logs
    logs.setup_logging("info", "logfmt")
    if hasattr(logs, "get_logger"):
        logs.get_logger("lookout").warning("x")
    else:  # a logs.py over the stdlib's logging (main before issue 24)
        import logging
        logging.getLogger("lookout").warning("x")
elif subject == "logs+exc":
    from lookout.exporters.runtime import logs
    logs.setup_logging("info", "logfmt")
    try:
        1 / 0
    except ZeroDivisionError:
        logs.get_logger("lookout").error("x", exc_info=True)
with open("/proc/self/smaps_rollup") as f:
    kb = {line.split(":")[0]: int(line.split()[1]) for line in f if line.split(":")[0] in ("Rss", "Pss")}
print(kb["Rss"], kb["Pss"], len(sys.modules))
"""


def measure(root: Path, subject: str, runs: int) -> tuple[float, float, int]:
    # Bytecode written by an unmeasured first run and read by the others, as an installed wheel
    # runs (compiling a module from source costs memory the process keeps).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    rss, pss, mods = [], [], 0
    for i in range(runs + 1):
        out = subprocess.run([sys.executable, "-S", "-c", CHILD, str(root), subject], capture_output=True,
                             text=True, timeout=60, check=True, env=env).stdout.split()
        if i == 0:
            continue
        rss.append(int(out[0]) / 1024)
        pss.append(int(out[1]) / 1024)
        mods = int(out[2])
    return statistics.median(rss), statistics.median(pss), mods


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=9)
    p.add_argument("--baseline", type=Path, help="another checkout whose logs.py is measured beside this one")
    args = p.parse_args()
    rows = [("socket, selectors, threading, json, secrets.py", ROOT, "none"),
            ("stdlib logging, one record", ROOT, "logging")]
    if args.baseline:
        rows.append((f"{args.baseline}'s logs.py, one record", args.baseline, "logs"))
    rows += [("this checkout's logs.py, one record", ROOT, "logs"),
             ("this checkout's logs.py, one record with a traceback", ROOT, "logs+exc")]
    base = None
    print(f"python -S, medians of {args.runs} processes")
    print(f"{'':58} {'RSS MB':>7} {'+MB':>6} {'PSS MB':>7} {'modules':>8}")
    for label, root, subject in rows:
        rss, pss, mods = measure(root, subject, args.runs)
        base = base if base is not None else rss
        print(f"{label:58} {rss:7.2f} {rss - base:+6.2f} {pss:7.2f} {mods:8d}")


if __name__ == "__main__":
    main()
