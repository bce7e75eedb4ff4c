"""`python -m lookout.deploy [--check] [--out DIR] [--runbook-base URL]`: regenerate deploy/, or
list what is stale (exit 1); `--validate` also checks deploy/kubernetes against the pinned CRD
schemas. Every runbook_url is absolute, under --runbook-base (the URL of docs/runbooks.md where
the on-call people can open it; default thresholds.yml's _config.runbook_url_base, else the
project's published docs); a base that is not an absolute http(s) URL exits 2."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

from lookout import generated

from lookout.alert_rules.overrides import OverrideError
from lookout.alert_rules.settings import DEFAULT_RUNBOOK_BASE, THRESHOLDS_FILE, absolute_url_problem

from .generate import OUT, default_runbook_base, rendered, stale, write


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lookout.deploy", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--check", action="store_true", help="only report files that regeneration would change")
    parser.add_argument("--validate", action="store_true",
                        help="validate the Kubernetes resources against lookout/deploy/crds (needs jsonschema)")
    parser.add_argument("--runbook-base", metavar="URL", default=None,
                        help="absolute URL of docs/runbooks.md (default: thresholds.yml's"
                             " _config.runbook_url_base, else " + DEFAULT_RUNBOOK_BASE + ")")
    args = parser.parse_args(argv)
    try:
        base = args.runbook_base or default_runbook_base()
    except OverrideError as exc:
        print(f"{THRESHOLDS_FILE}: {exc}", file=sys.stderr)
        return 2
    problem = absolute_url_problem(base)
    if problem:
        print(f"--runbook-base: {problem}", file=sys.stderr)
        return 2
    code = 0
    if args.check:
        code = generated.check([args.out / rel for rel in stale(args.out, base)], "python -m lookout.deploy")
    else:
        for rel in write(args.out, base):
            print(f"wrote {args.out / rel}")
    if args.validate:
        from .validate import errors
        for rel, text in rendered(base).items():
            if rel.startswith("kubernetes/"):
                for obj in yaml.safe_load_all(text):
                    for problem in errors(obj):
                        print(f"{rel}: {problem}", file=sys.stderr)
                        code = 1
    return code


if __name__ == "__main__":
    sys.exit(main())
