"""The compiled monitoring-mixin layout in deploy/mixin/: what mixin tooling expects
(prometheus_alerts.yaml, prometheus_rules.yaml, dashboards_out/), holding exactly the rules of
lookout/alert_rules/generated/ and the dashboards of lookout/dashboards/generated/. Staleness is
test_deploy_generated's (the files are lookout.deploy's)."""
from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
MIXIN = ROOT / "deploy" / "mixin"


def rules(*files: Path) -> list[tuple[str, str]]:
    out = []
    for f in files:
        for g in yaml.safe_load(f.read_text())["groups"]:
            out += [(g["name"], yaml.safe_dump(r, sort_keys=True)) for r in g["rules"]]
    return sorted(out)


def test_promtool_accepts_both_rule_files_together():
    res = subprocess.run(["promtool", "check", "rules", str(MIXIN / "prometheus_rules.yaml"),
                          str(MIXIN / "prometheus_alerts.yaml")], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stdout + res.stderr


def test_alerts_and_recording_rules_are_split_and_nothing_is_lost():
    alerts = yaml.safe_load((MIXIN / "prometheus_alerts.yaml").read_text())["groups"]
    records = yaml.safe_load((MIXIN / "prometheus_rules.yaml").read_text())["groups"]
    assert all("alert" in r for g in alerts for r in g["rules"])
    assert all("record" in r for g in records for r in g["rules"])
    generated = sorted((ROOT / "lookout" / "alert_rules" / "generated").glob("*.yml"))
    assert rules(MIXIN / "prometheus_alerts.yaml", MIXIN / "prometheus_rules.yaml") == rules(*generated)


def test_dashboards_out_are_the_generated_dashboards():
    source = ROOT / "lookout" / "dashboards" / "generated"
    assert {p.name: p.read_text() for p in (MIXIN / "dashboards_out").glob("*.json")} == \
           {p.name: p.read_text() for p in source.glob("*.json")}
