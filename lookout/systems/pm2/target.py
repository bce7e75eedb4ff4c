"""The sync server's demo target: the Node sync server under a real PM2 (lookout.devstack.pm2)."""
from __future__ import annotations

from lookout.demo import configs
from lookout.devstack.pm2 import PM2
from lookout.devstack.proc import ROOT, free_port, http_get, wait_until
from lookout.systems import by_key

from .demo import HOME


def start(stack) -> dict:
    system = by_key("pm2")
    ecosystem = ROOT / system.demo_module.replace(".", "/") / "ecosystem.config.js"
    port = free_port()
    home = stack.dir / HOME
    daemon = PM2(home, env={"PM2_WORKER_INTERVAL": str(stack.profile.settings["pm2"]["worker_interval_ms"])})
    stack.on_stop("PM2", daemon.kill_all)
    watchdog_log = stack.dir / "monitor-services.jsonl"  # the host watchdog's log (rss-services-monitor)
    watchdog_log.write_text("")
    daemon.run("start", str(ecosystem), env={"PORT": str(port), "HOST": "127.0.0.1", "SYNC_MAX_MEMORY": "200M",
                                             "SYNC_STATE_FILE": str(stack.dir / "sync-server-faults.json"),
                                             "WATCHDOG_LOG_FILE": str(watchdog_log)})
    url = f"http://127.0.0.1:{port}"
    wait_until(lambda: http_get(url + "/server/health", timeout=2)[0] == 200, 30, 0.2, what="the sync server")
    stack.sims[system.demo_target] = url
    return {**configs.runtime_settings(stack.profile), "daemon": {"home": str(home)},
            "health": {"url": url + "/server/health"}, "watchdog": {"path": str(watchdog_log)}}
