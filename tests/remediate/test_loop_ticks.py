"""Tick collector: Docker calls the collector unhealthy -> CollectorUnhealthy pages -> the
receiver restarts the container through the Docker API -> healthy again -> resolved."""
from __future__ import annotations

import time

import pytest

from lookout.devstack.docker import DockerEngine
from lookout.devstack.proc import wait_until

from .loop import Loop, rule_labels

NAME = "tick-collector"
SECOND = 1_000_000_000


@pytest.fixture(scope="module")
def engine():
    e = DockerEngine().start()
    try:
        e.import_busybox()
        yield e
    finally:
        e.stop()


def health(engine) -> str:
    return engine.client().api.inspect_container(NAME)["State"].get("Health", {}).get("Status", "")


def test_collector_unhealthy_is_restarted_and_resolves(engine, tmp_path):
    # The collector's stand-in: runs until told to stall; HEALTHCHECK fails while stalled, as
    # the real image's check fails when its process stops making progress. /run is a tmpfs,
    # so the stall marker does not survive a restart (a restart reconnects the WebSocket).
    engine.run(["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"], NAME, tmpfs={"/run": ""},
               healthcheck={"test": ["CMD-SHELL", "[ ! -f /run/stall ]"], "interval": SECOND, "timeout": SECOND,
                            "retries": 1})
    wait_until(lambda: health(engine) == "healthy", 30, what="the collector healthy")
    started = engine.client().api.inspect_container(NAME)["State"]["StartedAt"]
    loop = Loop(tmp_path, {"restart-collector": {"type": "docker_restart", "alerts": ["TicksStale", "CollectorUnhealthy"],
                                                 "target_label": "container", "allowed": [NAME], "timeout_seconds": 30}},
                docker={"host": engine.host})
    try:
        # fault
        engine.client().containers.get(NAME).exec_run(["sh", "-c", "echo stalled > /run/stall"])
        wait_until(lambda: health(engine) == "unhealthy", 30, what="Docker to call it unhealthy")
        # alert -> page
        labels = {**rule_labels("CollectorUnhealthy", "critical"), "container": NAME, "instance": "ticks:9862",
                  "job": "ticks"}
        assert labels["remedy"] == "restart-collector"
        t0 = loop.fire(labels)
        loop.page("CollectorUnhealthy")
        # action
        result = loop.receiver.wait_result(timeout=60, action="restart-collector")
        assert result["result"] == "ok", result
        assert result["target"] == NAME
        state = engine.client().api.inspect_container(NAME)["State"]
        assert state["StartedAt"] != started and state["Running"]
        # recovery
        wait_until(lambda: health(engine) == "healthy", 30, what="the collector healthy after the restart")
        recovered = time.monotonic() - t0
        # resolved (what the rule does once the exporter reads "healthy")
        loop.resolve(labels)
        loop.page("CollectorUnhealthy", "resolved")
        wait_until(lambda: loop.receiver.decisions(decision="resolved", alertname="CollectorUnhealthy"), 20)
        assert len(loop.receiver.decisions(decision="result")) == 1
        print(f"CollectorUnhealthy: alert to recovery {recovered:.1f} s")
    finally:
        loop.stop()
