"""`lookout generate [--check]` (or `python -m lookout.generate`): run every generator of the
checkout, in the order their inputs need (the routing before deploy/, which reads it; the
dashboards before the mixin).

    lookout generate            # rewrite every generated file that differs
    lookout generate --check    # exit 1 if any is stale, each named on stderr by its generator

Each generator runs as its own `python -m <module> [--check]` (its own exit code and messages,
no state shared between them). Exit status: 0 all fresh (or written), 1 some file stale
(--check), 2 a generator failed (bad input; its own message says which).
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# (module, what it writes), in dependency order.
GENERATORS = (
    ("lookout.alert_rules", "lookout/alert_rules/generated/, prometheus/alertmanager.yml"),
    ("lookout.dashboards", "lookout/dashboards/generated/"),
    ("lookout.docs", "README.md's systems table, docs/metrics.md, docs/alerting.md's causal model"),
    ("lookout.deploy", "deploy/"),
    ("lookout.demo.prometheus", "prometheus/prometheus.yml"),
    ("lookout.compose", "docker-compose.yml"),
)


def run(check: bool, python: str = sys.executable) -> int:
    """Run each generator; the worst exit status (0, 1 stale, 2 failed)."""
    worst = 0
    for module, _ in GENERATORS:
        code = subprocess.run([python, "-m", module, *(["--check"] if check else [])], cwd=ROOT).returncode
        if code not in (0, 1):
            print(f"lookout generate: python -m {module} failed (exit {code})", file=sys.stderr)
            code = 2
        worst = max(worst, code)
    return worst


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--check", action="store_true",
                        help="only report the generated files that differ from what would be generated (exit 1)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lookout.generate", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv).check)


if __name__ == "__main__":
    sys.exit(main())
