"""The sync server's hooks for the native demo (lookout/demo/hooks.py lists them): how often PM2
checks memory, and the restarts lookout-remediate may take over the daemon's RPC socket."""
from __future__ import annotations

HOME = "pm2"             # the demo's PM2_HOME, under the demo's temp dir (target.py)
APP = "rss-sync-server"  # the app's name in the simulator's ecosystem.config.js

PROFILES = {
    # How often PM2 checks max_memory_restart (PM2_WORKER_INTERVAL, PM2's default 30 s).
    "real": {"settings": {"worker_interval_ms": 30000}},
    "fast": {"settings": {"worker_interval_ms": 1000}},
}


def remediation(stack) -> dict:
    return {
        "pm2": {"home": str(stack.dir / HOME)},
        "actions": {
            "restart-sync-server": {"type": "pm2_restart", "alerts": ["PM2ProcessDown", "SyncServerHealthDown"],
                                    "target_label": "name", "allowed": [APP], "timeout_seconds": 30},
            "emergency-restart-sync-server": {"type": "pm2_restart", "alerts": ["PM2ProcessMemoryHigh"],
                                              "target": APP, "max_old_space_size_mb": 128, "timeout_seconds": 30},
        },
    }
