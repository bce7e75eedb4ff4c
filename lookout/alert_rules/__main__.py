"""`python -m lookout.alert_rules [--check] [--thresholds FILE] [--out DIR] [--alertmanager FILE]`:
regenerate the rules and the Alertmanager configuration."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lookout import generated

from .overrides import OverrideError
from .settings import ALERTMANAGER_FILE, OUTPUT_DIR, THRESHOLDS_FILE


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lookout.alert_rules", description=__doc__)
    parser.add_argument("--thresholds", type=Path, default=THRESHOLDS_FILE, help="operator overrides (YAML)")
    parser.add_argument("--out", type=Path, default=OUTPUT_DIR, help="where the <system>.yml files go")
    parser.add_argument("--alertmanager", type=Path, default=None,
                        help="the generated Alertmanager config (default: prometheus/alertmanager.yml in a"
                             " checkout without --out; otherwise none is written)")
    parser.add_argument("--check", action="store_true", help="only report files that regeneration would change")
    args = parser.parse_args(argv)
    # Never into the rules folder (Prometheus loads every file there as rules), and only where
    # the checkout's prometheus/ folder exists (an installed wheel has none).
    alertmanager = args.alertmanager
    if alertmanager is None and args.out == OUTPUT_DIR and ALERTMANAGER_FILE.parent.is_dir():
        alertmanager = ALERTMANAGER_FILE
    # The catalog module reads the default thresholds file on import; build from ours.
    from .catalog import build
    from .generate import outputs
    try:
        signals = build(args.thresholds)
    except OverrideError as exc:
        print(f"{args.thresholds}: {exc}", file=sys.stderr)
        return 2
    files = outputs(args.out, signals, alertmanager)
    if args.check:
        return generated.check(generated.stale(files), "python -m lookout.alert_rules")
    try:
        written = generated.write(files)
    except OSError as exc:
        print(f"{exc.filename}: cannot write: {exc.strerror}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
