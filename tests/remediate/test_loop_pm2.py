"""Sync server under a real PM2: the receiver restarts the app over PM2's RPC socket (never the
CLI), the emergency restart gives it a reduced heap, and a dead daemon is not resurrected."""
from __future__ import annotations

from pathlib import Path

import psutil
import pytest

from lookout.devstack.pm2 import PM2
from lookout.devstack.proc import free_port, http_get, wait_until

from .loop import Loop, rule_labels

APP = "rss-sync-server"
SYNC_SERVER = Path(__file__).parents[2] / "lookout" / "systems" / "pm2" / "tests" / "apps" / "sync-server.js"


@pytest.fixture
def pm2(tmp_path):
    p = PM2(tmp_path / "pm2home")
    port = free_port()
    try:
        p.start(SYNC_SERVER, APP, "--max-memory-restart", "200M", env={"PORT": str(port)})
        p.health = f"http://127.0.0.1:{port}/health"
        wait_until(lambda: http_get(p.health, timeout=2)[0] == 200, 30, what="the sync server")
        yield p
    finally:
        p.kill_all()


def actions(pm2) -> dict:
    return {"restart-sync-server": {"type": "pm2_restart", "alerts": ["PM2ProcessDown", "SyncServerHealthDown"],
                                    "target_label": "name", "allowed": [APP], "timeout_seconds": 30},
            "emergency-restart-sync-server": {"type": "pm2_restart", "alerts": ["PM2ProcessMemoryHigh"],
                                              "target": APP, "max_old_space_size_mb": 128, "timeout_seconds": 30}}


def proc(pm2) -> dict:
    return pm2.by_name(pm2.jlist(), APP)


def test_process_down_is_restarted_over_rpc(pm2, tmp_path):
    loop = Loop(tmp_path, actions(pm2), pm2={"home": str(pm2.home)})
    try:
        before = proc(pm2)
        daemon = pm2.daemon_pid()
        pm2.run("stop", APP)  # the fault (the test's own hand, not the receiver's)
        assert proc(pm2)["pm2_env"]["status"] == "stopped"
        labels = {**rule_labels("PM2ProcessDown", "critical"), "name": APP, "pm_id": str(before["pm_id"]),
                  "instance": "pm2:9863", "job": "pm2"}
        loop.fire(labels)
        loop.page("PM2ProcessDown")
        result = loop.receiver.wait_result(timeout=60, action="restart-sync-server")
        assert result["result"] == "ok", result
        after = wait_until(lambda: (p := proc(pm2))["pm2_env"]["status"] == "online" and p, 30)
        assert after["pm_id"] == before["pm_id"] and after["pid"] != before["pid"]
        wait_until(lambda: http_get(pm2.health, timeout=2)[0] == 200, 30, what="the sync server's health")
        assert pm2.daemon_pid() == daemon and len(pm2.daemons()) == 1
        loop.resolve(labels)
        loop.page("PM2ProcessDown", "resolved")
    finally:
        loop.stop()


def test_emergency_restart_gives_a_reduced_heap(pm2, tmp_path):
    loop = Loop(tmp_path, actions(pm2), pm2={"home": str(pm2.home)})
    try:
        before = proc(pm2)
        labels = {**rule_labels("PM2ProcessMemoryHigh", "critical"), "name": APP, "pm_id": str(before["pm_id"]),
                  "instance": "pm2:9863", "job": "pm2"}
        assert labels["remedy"] == "emergency-restart-sync-server"
        # The warning level names no remedy: it pages nobody and restarts nothing.
        assert "remedy" not in rule_labels("PM2ProcessMemoryHigh", "warning")
        loop.fire(labels)
        loop.page("PM2ProcessMemoryHigh")
        assert loop.receiver.wait_result(timeout=60)["result"] == "ok"
        after = wait_until(lambda: (p := proc(pm2))["pid"] != before["pid"] and p["pm2_env"]["status"] == "online" and p, 30)
        assert after["pm_id"] == before["pm_id"]
        assert after["pm2_env"]["restart_time"] == before["pm2_env"]["restart_time"] + 1
        env = psutil.Process(after["pid"]).environ()
        assert env.get("NODE_OPTIONS") == "--max-old-space-size=128"
    finally:
        loop.stop()


def test_a_dead_daemon_is_reported_not_resurrected(pm2, tmp_path):
    loop = Loop(tmp_path, actions(pm2), pm2={"home": str(pm2.home)})
    try:
        pm2.hard_kill_daemon()
        labels = {**rule_labels("PM2ProcessDown", "critical"), "name": APP, "instance": "pm2:9863", "job": "pm2"}
        loop.fire(labels)
        result = loop.receiver.wait_result(timeout=60)
        assert result["result"] == "failed" and "daemon" in result["detail"].lower(), result
        assert pm2.daemons() == []  # PM2's CLI would have started an empty one
    finally:
        loop.stop()
