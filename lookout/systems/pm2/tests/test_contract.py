"""The PM2 alerts keep no pm_id: PM2 gives a re-created process a new one (runbook 003's
delete + start), so an alert keyed by it would resolve and fire again as another alert."""
from __future__ import annotations

import yaml

from lookout.alert_rules.settings import OUTPUT_DIR


def test_no_pm2_process_alert_keeps_the_pm_id():
    for group in yaml.safe_load((OUTPUT_DIR / "pm2.yml").read_text())["groups"]:
        for rule in group["rules"]:
            if "pm2_process" in rule["expr"] and "alert" in rule:
                assert "without (pm_id)" in rule["expr"] or rule["expr"].startswith("pm2:"), rule
