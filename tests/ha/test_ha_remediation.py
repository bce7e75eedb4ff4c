"""Issue 22: the remediation receiver in the HA layout. Two Prometheus replicas (each scraping
the one receiver and loading its RemediationExhausted rule), two clustered Alertmanagers (both
posting to it), real processes on loopback. A remedy that runs and does not hold: after
max_attempts the receiver gives up, and the pager hears RemediationExhausted once, then its
resolution once, and nothing else."""
from __future__ import annotations

import contextlib
import time
from pathlib import Path

import pytest
import yaml

from lookout.deploy.local import FAST, LocalHA
from lookout.devstack.alertmanager import WebhookRecorder
from lookout.devstack.proc import wait_until

from ..remediate.harness import Receiver
from .conftest import IncidentSwitch, Pager, _all_up

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SETTLE = 15  # two group intervals plus each member's wait, as in test_ha_layout


@pytest.fixture
def remedy_layout(tmp_path):
    with contextlib.ExitStack() as stack:
        recorder = WebhookRecorder()
        stack.callback(recorder.stop)
        switch = IncidentSwitch()
        stack.callback(switch.stop)
        (tmp_path / "r").mkdir()
        receiver = Receiver(tmp_path / "r", {
            "dry_run": False, "cooldown_seconds": 1, "max_attempts": 2, "window_seconds": 600,
            "actions": {"ha-test-remedy": {"type": "http", "alerts": ["HATestRemedyFailing"], "target": "switch",
                                           "url": recorder.url(""), "steps": [{"path": "/remedy"}],
                                           "timeout_seconds": 5}}})
        stack.callback(receiver.stop)
        receiver.wait_ready()
        ha = LocalHA(tmp_path / "ha", {"incident": [switch.address],
                                        "remediate": [receiver.url.removeprefix("http://")]},
                     # The rule file the generated HA layout loads (deploy/ha/rules/remediate.yml).
                     [HERE / "remedy-rules.yml", ROOT / "deploy" / "ha" / "rules" / "remediate.yml"],
                     recorder.url(""), recorder.url("/heartbeat"), FAST,
                     direct={"remediate": receiver.url + "/webhook"})
        # Time compressed on the remediation route only: the receiver hears the firing alert again
        # every few seconds (production: every 5 minutes). The pager keeps its repeat of an hour.
        cfg = yaml.safe_load(ha.am_config.read_text())
        for route in cfg["route"]["routes"]:
            if route["receiver"] == "remediate":
                route["repeat_interval"] = "4s"
        ha.am_config.write_text(yaml.safe_dump(cfg, sort_keys=False))
        stack.callback(ha.stop)
        ha.start()
        for url in ha.prom_urls.values():
            wait_until(lambda u=url: _all_up(u, 6), 60, 0.3, what=f"all targets up on {url}")

        class Layout:
            pass
        lay = Layout()
        lay.switch, lay.receiver, lay.ha, lay.recorder, lay.pager = switch, receiver, ha, recorder, Pager(recorder)
        yield lay


def test_a_remedy_that_does_not_hold_pages_remediation_exhausted_once(remedy_layout):
    lay = remedy_layout
    lay.switch.on = True
    lay.pager.wait("RemediationExhausted", timeout=120)
    time.sleep(SETTLE)
    assert lay.pager.count("RemediationExhausted") == 1, lay.pager.story()
    assert lay.pager.others("RemediationExhausted") == [], lay.pager.story()
    # Each notification from either Alertmanager came to the one receiver: it acted
    # max_attempts times, and no more, whatever member sent.
    assert len(lay.receiver.decisions(decision="acted")) == 2, lay.receiver.audit()
    assert len(lay.recorder.posts("/remedy")) == 2
    assert lay.receiver.decisions(decision="exhausted")
    lay.switch.on = False
    lay.pager.wait("RemediationExhausted", status="resolved", timeout=90)
    time.sleep(SETTLE)
    assert lay.pager.count("RemediationExhausted", "resolved") == 1, lay.pager.story()
    assert lay.pager.count("RemediationExhausted") == 1, lay.pager.story()
