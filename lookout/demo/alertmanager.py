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

import copy
import sys
from pathlib import Path

import yaml

from .profiles import Profile

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "prometheus" / "alertmanager.yml"  # the committed copy (checkout only)

_TIMERS = ("group_wait", "group_interval", "repeat_interval")


def source() -> dict:
    """The project's routing, from the operator's thresholds file as the generator reads it."""
    from lookout.alert_rules.catalog import build
    from lookout.alert_rules.routing import config
    return config(build())


def for_demo(config: dict, webhook_url: str, profile: Profile, direct: dict[str, str] | None = None) -> dict:
    """`direct`: receivers posting to their own URL instead of the pager page (lookout-remediate)."""
    cfg = copy.deepcopy(config)
    resolve_timeout = (cfg.get("global") or {}).get("resolve_timeout")
    cfg["global"] = {"resolve_timeout": resolve_timeout} if resolve_timeout else {}
    cfg.pop("templates", None)  # only the real notifiers use them
    direct = direct or {}
    cfg["receivers"] = [{"name": r["name"],
                         "webhook_configs": [{"url": direct.get(r["name"], f"{webhook_url.rstrip('/')}/{r['name']}"),
                                              "send_resolved": True}]}
                        for r in cfg.get("receivers") or []]
    timers = {"group_wait": profile.group_wait, "group_interval": profile.group_interval,
              "repeat_interval": profile.repeat_interval}

    def walk(route: dict, top: bool) -> None:
        for key in _TIMERS:
            if top or key in route:
                route[key] = timers[key]
        for child in route.get("routes") or []:
            walk(child, False)
    walk(cfg.setdefault("route", {}), True)
    return cfg


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
