"""`python -m lookout.deploy [--check] [--out DIR]`: regenerate deploy/, or list what is stale
(exit 1); `--validate` also checks deploy/kubernetes against the pinned CRD schemas."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

from lookout import generated

from .generate import OUT, rendered, stale, write


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lookout.deploy", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--check", action="store_true", help="only report files that regeneration would change")
    parser.add_argument("--validate", action="store_true",
                        help="validate the Kubernetes resources against lookout/deploy/crds (needs jsonschema)")
    args = parser.parse_args(argv)
    code = 0
    if args.check:
        code = generated.check([args.out / rel for rel in stale(args.out)], "python -m lookout.deploy")
    else:
        for rel in write(args.out):
            print(f"wrote {args.out / rel}")
    if args.validate:
        from .validate import errors
        for rel, text in rendered().items():
            if rel.startswith("kubernetes/"):
                for obj in yaml.safe_load_all(text):
                    for problem in errors(obj):
                        print(f"{rel}: {problem}", file=sys.stderr)
                        code = 1
    return code


if __name__ == "__main__":
    sys.exit(main())
