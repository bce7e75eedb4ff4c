"""The sync server in the live stack (tests/dashboards/live_stack.py): a PM2 daemon running the
test sync server (apps/sync-server.js) with queue rows, syncs and API errors in its logs."""
from __future__ import annotations

from pathlib import Path

from lookout.devstack.pm2 import PM2
from lookout.devstack.proc import free_port, http_get, wait_until

APPS = Path(__file__).resolve().parent / "apps"


def start(stack) -> None:
    """Start it on `stack` (a live_stack.Stack): backend, activity, exporter."""
    pm2 = PM2(stack.workdir / "pm2home")
    stack.later(pm2.kill_all)
    port = free_port()
    pm2.start(APPS / "sync-server.js", "rss-sync-server", "--max-memory-restart", "200M",
              env={"PORT": str(port)})
    base = f"http://127.0.0.1:{port}"
    wait_until(lambda: http_get(base + "/server/health", timeout=2)[0] == 200, 20,
               what="the sync server's /server/health")
    # Queue rows, one completed sync and API errors in the app's PM2 log files.
    http_get(base + "/control?pending=12&retry=2&failed=1")
    # Log lines after the exporter started reading: a completed sync and a failed batch.
    stack.every_half_second(lambda: http_get(base + "/control?log_completed_ms=1500&log_batch_failed=1"))
    watchdog_log = stack.workdir / "monitor-services.jsonl"
    watchdog_log.write_text("")
    stack.exporter("pm2", {"daemon": {"home": str(pm2.home)}, "health": {"url": base + "/server/health"},
                          "watchdog": {"path": str(watchdog_log)}})
