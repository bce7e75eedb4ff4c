"""The demo's Alertmanager configuration: the project's routing and inhibitions, as the rule
generator makes them (lookout.alert_rules.routing, committed as prometheus/alertmanager.yml;
built here in-process so an installed wheel has them too), with every receiver pointed at the
demo's webhook receiver.

Routes, grouping and inhibit_rules are kept exactly, so the demo and the end-to-end test
exercise the real routing. What changes: each receiver becomes one webhook to
`<webhook>/<receiver name>` (the pager page shows which receiver a page went to), and the
grouping timers take the profile's values so a page arrives in seconds, not minutes.
"""
from __future__ import annotations

import sys
from pathlib import Path

import yaml

from lookout.deploy import ha

from .profiles import Profile

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "prometheus" / "alertmanager.yml"  # the committed copy (checkout only)


def source() -> dict:
    """The project's routing, from the operator's thresholds file as the generator reads it."""
    return ha.routing()


def for_demo(config: dict, webhook_url: str, profile: Profile, direct: dict[str, str] | None = None) -> dict:
    """`direct`: receivers posting to their own URL instead of the pager page (lookout-remediate)."""
    return ha.to_webhooks(config, webhook_url, profile, direct)


def write(path: Path, webhook_url: str, profile: Profile, direct: dict[str, str] | None = None) -> None:
    path.write_text(yaml.safe_dump(for_demo(source(), webhook_url, profile, direct), sort_keys=False))


def main(argv: list[str] | None = None) -> int:
    """docker compose's one-shot `alertmanager-config` service runs this before Alertmanager starts."""
    import argparse
    from .profiles import PROFILES
    parser = argparse.ArgumentParser(prog="python -m lookout.demo.alertmanager",
                                     description="Write the demo's Alertmanager config (every receiver to the webhook)")
    parser.add_argument("--webhook", required=True, help="the webhook receiver's base URL")
    parser.add_argument("--profile", choices=sorted(PROFILES), default="real")
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args(argv)
    try:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        write(args.out, args.webhook, PROFILES[args.profile])
    except OSError as exc:
        print(f"cannot write {args.out}: {exc.strerror}", file=sys.stderr)
        return 2
    print(f"wrote {args.out} from the generated routing (lookout.alert_rules.routing)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
