"""`lookout demo up --ha`: the native demo with the Prometheus pair, the Alertmanager cluster
and the heartbeat, driven through the real CLI. A scenario pages once; with one Alertmanager
killed, its recovery still resolves once."""
from __future__ import annotations

import os
import shutil
import signal
import tempfile
import time
from pathlib import Path

import pytest

from lookout.devstack.demo_stack import Demo, strays
from lookout.devstack.proc import http_get, wait_until

SCENARIO, ALERT = "tburn-down", "TburnDown"


@pytest.fixture(scope="module")
def demo():
    workdir = Path(tempfile.mkdtemp(prefix="lookout-ha-demo-"))
    d = Demo(workdir, ("--ha",))
    yield d
    d.stop()
    left = strays(d.state["demo_id"])
    shutil.rmtree(workdir, ignore_errors=True)
    assert not left, f"processes left running: {left}"


def _pages(demo, alert: str, status: str) -> int:
    return sum(1 for p in demo.pages() if p["alertname"] == alert and p["status"] == status)


def test_the_demo_runs_two_prometheus_and_one_alertmanager_cluster(demo):
    assert demo.state["ha"] is True
    urls = demo.urls
    for am in (urls["alertmanager"], urls["alertmanager_b"]):
        status, _, body = http_get(am + "/api/v2/status", timeout=5)
        assert status == 200 and body.count('"address"') == 2, body  # both members, seen from each
    for prom in (urls["prometheus"], urls["prometheus_b"]):
        status, _, body = http_get(prom + "/api/v1/status/config", timeout=5)
        assert status == 200 and "replica:" in body and "labeldrop" in body
    # The Watchdog reaches the heartbeat switch, never the pager.
    wait_until(lambda: http_get(urls["heartbeat"] + "/status", timeout=3)[0] == 200, 90, 1,
               what="the Watchdog's heartbeat")
    assert _pages(demo, "Watchdog", "firing") == 0


def test_a_scenario_pages_once_and_resolves_once_with_an_alertmanager_killed(demo):
    demo.cli("inject", SCENARIO)
    wait_until(lambda: _pages(demo, ALERT, "firing") >= 1, 180, 1, what=f"the {ALERT} page")
    time.sleep(1)  # a gossip round: the sender's notification log reaches its peer
    pid = demo.state["ha_pids"]["alertmanager-0"]
    os.kill(pid, signal.SIGKILL)
    demo.cli("recover", SCENARIO)
    wait_until(lambda: _pages(demo, ALERT, "resolved") >= 1, 180, 1, what=f"{ALERT} resolved")
    time.sleep(15)
    assert _pages(demo, ALERT, "firing") == 1 and _pages(demo, ALERT, "resolved") == 1, demo.pages()
