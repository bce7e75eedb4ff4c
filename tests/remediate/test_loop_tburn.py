"""TBURN: its pipeline stops -> TburnPipelineStopped -> the receiver calls TBURN's own
stop/start routes, authenticated -> running again -> resolved. A stop that keeps coming back
is acted on max_attempts times, then RemediationExhausted pages through a real Prometheus
evaluating lookout/remediate/alerts.yml on the receiver's /metrics."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from lookout.devstack.prometheus_server import PrometheusServer
from lookout.devstack.proc import ROOT, http_get, wait_until
from lookout.devstack.simulator import SimulatorProcess

from .loop import HOOK_PASSWORD, Loop, rule_labels

RULES = ROOT / "lookout" / "remediate" / "alerts.yml"
# The one session the simulator accepts by default (lookout.systems.tburn.simulator --session), as
# TBURN accepts its express-session cookie (server/app.ts).
COOKIE = "connect.sid=lookout-demo-session"


@pytest.fixture
def tburn(tmp_path):
    sim = SimulatorProcess(tmp_path).wait_ready()
    yield sim
    sim.stop()


def running(sim) -> bool:
    status, _, body = http_get(sim.url + "/api/pipeline/stats", headers={"Cookie": COOKIE}, timeout=5)
    assert status == 200, body
    data = json.loads(body)
    return bool((data.get("data") if isinstance(data.get("data"), dict) else data).get("isRunning"))


def action(sim, tmp_path: Path) -> dict:
    (tmp_path / "tburn-cookie").write_text(COOKIE + "\n")
    return {"tburn-pipeline-restart": {
        "type": "http", "alerts": ["TburnPipelineStopped"], "target": "tburn", "url": sim.url,
        "steps": [{"path": "/api/pipeline/stop"}, {"path": "/api/pipeline/start"}],
        "cookie_file": str(tmp_path / "tburn-cookie"), "timeout_seconds": 20}}


def labels() -> dict:
    return {**rule_labels("TburnPipelineStopped", "warning"), "instance": "tburn:9864", "job": "tburn"}


def test_pipeline_stopped_is_restarted_through_tburns_routes(tburn, tmp_path):
    loop = Loop(tmp_path, action(tburn, tmp_path))
    try:
        tburn.inject("pipeline-stopped")
        assert not running(tburn)
        alert = labels()
        assert alert["remedy"] == "tburn-pipeline-restart"
        loop.fire(alert)
        loop.page("TburnPipelineStopped", receiver="/chat")  # a warning: chat, not the pager
        result = loop.receiver.wait_result(timeout=60)
        assert result["result"] == "ok", result
        assert "POST /api/pipeline/stop 200; POST /api/pipeline/start 200" == result["detail"]
        wait_until(lambda: running(tburn), 20, what="the pipeline running again")
        loop.resolve(alert)
        loop.page("TburnPipelineStopped", "resolved", receiver="/chat")
    finally:
        loop.stop()


def test_a_recurring_fault_stops_after_max_attempts_and_pages_exhausted(tburn, tmp_path):
    loop = Loop(tmp_path, action(tburn, tmp_path), cooldown_seconds=0, max_attempts=2)
    # The receiver wants basic auth from Prometheus too.
    prom = PrometheusServer(targets={"remediate": [loop.receiver.url.removeprefix("http://")]}, rule_files=[RULES],
                            alertmanagers=[loop.am.url.removeprefix("http://")],
                            job_options={"remediate": {"basic_auth": {"username": "alertmanager",
                                                                      "password": HOOK_PASSWORD}}})
    try:
        prom.wait_ready()
        alert = labels()
        for attempt in range(1, 4):
            tburn.inject("pipeline-stopped")          # the fault comes back ...
            loop.fire(alert)                          # ... and the rule fires again
            if attempt <= 2:
                wait_until(lambda: len(loop.receiver.decisions(decision="result")) == attempt, 60,
                           what=f"attempt {attempt}")
                wait_until(lambda: running(tburn), 20)
                loop.resolve(alert)
                wait_until(lambda: len(loop.receiver.decisions(decision="resolved")) == attempt, 30)
        wait_until(lambda: loop.receiver.decisions(decision="exhausted"), 60, what="the receiver to give up")
        assert not running(tburn), "the third stop must be left alone"
        page = loop.page("RemediationExhausted", timeout=60)
        assert page["labels"]["alert"] == "TburnPipelineStopped"
        assert page["labels"]["action"] == "tburn-pipeline-restart"
        assert page["labels"]["severity"] == "critical"
        assert len(loop.receiver.decisions(decision="result")) == 2
    finally:
        prom.stop()
        loop.stop()

