"""The native demo closes the loop with no human, on the real rules (fast profile), the real
routing and the receiver acting: for the tick collector, the sync server and TBURN, the fault
pages, lookout-remediate acts, the system recovers and the page resolves. Nobody calls
`lookout demo recover`."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from lookout.devstack.demo_stack import Demo, strays
from lookout.devstack.pm2 import PM2_BIN
from lookout.devstack.proc import http_get, wait_until
from lookout.systems.tburn.demo import COOKIE as TBURN_COOKIE


@pytest.fixture(scope="module")
def demo():
    workdir = Path(tempfile.mkdtemp(prefix="lookout-rm-e2e-"))
    d = Demo(workdir)
    try:
        yield d
    finally:
        d.stop()
        assert strays(d.state["demo_id"]) == []
        shutil.rmtree(workdir, ignore_errors=True)


def audit(demo) -> list[dict]:
    path = Path(demo.state["demo_id"]) / "remediate-audit.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def page(demo, since: float, alert: str, status: str, severity: str | None = None, timeout: float = 90) -> dict:
    def found():
        return next((e for e in demo.pages() if e["received"] >= since and e["alertname"] == alert
                     and e["status"] == status and severity in (None, e["severity"])), None)
    return wait_until(found, timeout, 0.5, what=f"a {status} page for {alert}")


def result(demo, alert: str, timeout: float = 90) -> dict:
    return wait_until(lambda: next((e for e in audit(demo) if e["decision"] == "result" and e["alertname"] == alert),
                                   None), timeout, 0.5, what=f"lookout-remediate's result for {alert}")


def test_ticks_stall_is_mended_by_a_container_restart(demo):
    since = time.time()
    demo.cli("inject", "ticks-stall")
    page(demo, since, "TicksStale", "firing", "critical")
    r = result(demo, "TicksStale")
    assert r["result"] == "ok" and r["action"] == "restart-collector", r
    page(demo, since, "TicksStale", "resolved", "critical")
    assert float(demo.query("ticks_table_last_tick_age_seconds")[0]["value"][1]) < 10  # ticks flow again


def test_tburn_pipeline_stall_is_mended_through_its_routes(demo):
    # A stall, not a stop: TBURN calls a stopped pipeline healthy (its default), and a running
    # one with no block for 5 s unhealthy (TburnChain's pipeline health rule, docs/exporters/sources.md).
    since = time.time()
    tburn = demo.state["simulators"]["tburn"]
    req = urllib.request.Request(tburn + "/_sim/faults/pipeline-stalled", data=b"{}", method="POST",
                                 headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=10).close()
    page(demo, since, "TburnPipelineStopped", "firing")
    r = result(demo, "TburnPipelineStopped")
    assert r["result"] == "ok", r
    page(demo, since, "TburnPipelineStopped", "resolved")
    stats = json.loads(http_get(tburn + "/api/pipeline/stats", headers={"Cookie": TBURN_COOKIE})[2])
    assert (stats.get("data") if isinstance(stats.get("data"), dict) else stats)["isRunning"] is True


def test_sync_server_down_is_restarted_over_pm2_rpc(demo):
    since = time.time()
    home = Path(demo.state["demo_id"]) / "pm2"
    env = {**os.environ, "PM2_HOME": str(home), "PM2_DISCRETE_MODE": "true", "PM2_DISABLE_VERSION_CHECK": "true"}
    subprocess.run([str(PM2_BIN), "stop", "rss-sync-server"], env=env, capture_output=True, timeout=60, check=True)
    page(demo, since, "PM2ProcessDown", "firing", "critical")
    r = result(demo, "PM2ProcessDown")
    assert r["result"] == "ok" and r["target"] == "rss-sync-server", r
    page(demo, since, "PM2ProcessDown", "resolved")
