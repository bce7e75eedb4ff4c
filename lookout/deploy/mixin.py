"""The compiled monitoring-mixin layout, for users of mixin tooling (jsonnet-bundler users,
kube-prometheus, mixtool): the same rules and dashboards as Lookout's own generators, in the
file names a compiled mixin has.

    deploy/mixin/prometheus_alerts.yaml    every alerting rule, in the rule files' groups
    deploy/mixin/prometheus_rules.yaml     every recording rule, in the same groups
    deploy/mixin/dashboards_out/<board>.json   the generated dashboards (lookout/dashboards/generated)

A group keeps its name in both files; the alerts read the recorded series, so load both.
"""
from __future__ import annotations

from pathlib import Path

DASHBOARDS = Path(__file__).resolve().parents[1] / "dashboards" / "generated"


def split(groups: list[dict]) -> tuple[dict, dict]:
    """(alerts, recording rules) as two rule files, each keeping the groups that have any."""
    alerts, records = [], []
    for g in groups:
        rest = {k: v for k, v in g.items() if k != "rules"}
        a = [r for r in g["rules"] if "alert" in r]
        r = [r for r in g["rules"] if "record" in r]
        if a:
            alerts.append({**rest, "rules": a})
        if r:
            records.append({**rest, "rules": r})
    return {"groups": alerts}, {"groups": records}


def dashboards() -> dict[str, str]:
    """dashboards_out/<name>.json -> the committed generated JSON (its own generator keeps it fresh)."""
    return {f"dashboards_out/{p.name}": p.read_text() for p in sorted(DASHBOARDS.glob("*.json"))}
