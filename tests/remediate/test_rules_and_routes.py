"""The remedy labels in the generated rules, the Alertmanager route that carries them to the
receiver next to paging, and RemediationExhausted under promtool."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from lookout.devstack.proc import ROOT

from .loop import rule_labels

AM = ROOT / "prometheus" / "alertmanager.yml"
RULES = ROOT / "lookout" / "remediate" / "alerts.yml"
# What issue 15 asks to automate, per alert and severity: the expectation, written out.
REMEDIES = {
    ("TicksStale", "critical"): "restart-collector",
    ("TicksStale", "warning"): None,
    ("CollectorUnhealthy", "critical"): "restart-collector",
    ("PM2ProcessDown", "critical"): "restart-sync-server",
    ("SyncServerHealthDown", "critical"): "restart-sync-server",
    ("PM2ProcessMemoryHigh", "critical"): "emergency-restart-sync-server",
    ("PM2ProcessMemoryHigh", "warning"): None,
    ("TburnPipelineStopped", "warning"): "tburn-pipeline-restart",
    ("TburnRequestShedding", "warning"): "tburn-exit-degraded",
    ("NectarDatabaseDown", "critical"): None,   # restarting TiDB is a human decision
    ("NectarProcessDown", "critical"): None,
    ("TburnHeapHigh", "critical"): None,        # no route exposes the guardian's cleanup
}


def tool(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    if shutil.which(args[0]) is None:
        pytest.fail(f"{args[0]} is missing: scripts/install-deps installs it")
    return subprocess.run(list(args), capture_output=True, text=True, timeout=60, cwd=cwd)


@pytest.mark.parametrize("alert, severity", sorted(REMEDIES))
def test_generated_rules_name_the_remedy(alert, severity):
    assert rule_labels(alert, severity).get("remedy") == REMEDIES[alert, severity]


def test_every_named_remedy_is_in_the_example_config_for_its_alert():
    example = yaml.safe_load((ROOT / "lookout" / "remediate" / "example.yml").read_text())["actions"]
    for (alert, _), remedy in REMEDIES.items():
        if remedy:
            assert alert in example[remedy]["alerts"], (alert, remedy)


@pytest.mark.parametrize("labels, receivers", [
    ({"alertname": "TicksStale", "severity": "critical", "system": "ticks", "remedy": "restart-collector"},
     "remediate,pager"),
    ({"alertname": "TburnPipelineStopped", "severity": "warning", "system": "tburn",
      "remedy": "tburn-pipeline-restart"}, "remediate,chat"),
    ({"alertname": "TicksStale", "severity": "warning", "system": "ticks"}, "chat"),
    ({"alertname": "NectarDatabaseDown", "severity": "critical", "system": "nectar"}, "pager"),
])
def test_remedies_route_to_the_receiver_and_still_page(labels, receivers):
    res = tool("amtool", "config", "routes", "test", f"--config.file={AM}", f"--verify.receivers={receivers}",
               *[f"{k}={v}" for k, v in labels.items()])
    assert res.returncode == 0, f"{labels} routed to {res.stdout.strip()}, expected {receivers}"


def test_remediation_exhausted_rule():
    assert tool("promtool", "check", "rules", str(RULES)).returncode == 0
    cases = Path(__file__).parent / "cases"
    res = tool("promtool", "test", "rules", "exhausted.yml", cwd=cases)
    assert res.returncode == 0, res.stdout + res.stderr
