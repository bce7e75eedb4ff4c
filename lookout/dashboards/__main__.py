"""`python -m lookout.dashboards [--check] [--thresholds FILE] [--out DIR]`: write every dashboard's
JSON to dashboards/generated/. `--check` writes nothing and exits 1 when a committed file
differs from what the code makes. Colours follow alert_rules/thresholds.yml, like the rules."""
from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path

from lookout import generated
from lookout.alert_rules.catalog import build as build_signals
from lookout.alert_rules.overrides import OverrideError

from . import dashboard_modules
from .common import signals_in_use
from .panels import render

GENERATED = Path(__file__).resolve().parent / "generated"


def generate(signals: list | None = None) -> dict[str, str]:
    """File name -> JSON text, for every dashboard, coloured by `signals` (catalog.build()'s
    list; None: the catalog from alert_rules/thresholds.yml)."""
    files = {}
    with signals_in_use(build_signals() if signals is None else signals):
        for name, module in dashboard_modules().items():
            model = render(importlib.import_module(module).build())
            files[f"{name}.json"] = json.dumps(model, indent=2, sort_keys=True) + "\n"
    return files


def stale(files: dict[str, str], out: Path) -> list[Path]:
    """Files under `out` that differ from `files`, are missing, or are no longer generated
    (a renamed or removed board)."""
    leftover = [p for p in out.glob("*.json") if p.name not in files]
    return sorted(generated.stale({out / name: text for name, text in files.items()}) + leftover)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lookout.dashboards", description=__doc__)
    parser.add_argument("--out", type=Path, default=GENERATED, help=f"output directory (default {GENERATED})")
    parser.add_argument("--check", action="store_true", help="only report files that regenerating would change")
    parser.add_argument("--thresholds", type=Path, help="operator overrides (YAML) instead of"
                        " alert_rules/thresholds.yml; give the rule generator the same file")
    args = parser.parse_args(argv)
    try:
        signals = build_signals(args.thresholds) if args.thresholds else build_signals()
    except OverrideError as exc:
        print(f"dashboards: {args.thresholds}: {exc}", file=sys.stderr)
        return 2
    files = generate(signals)
    drift = stale(files, args.out)
    if args.check:
        return generated.check(drift, "python -m lookout.dashboards")
    generated.write({args.out / name: text for name, text in files.items()})
    for path in drift:
        if path.name not in files:
            path.unlink()
    print(f"dashboards: wrote {len(files)} dashboards to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
