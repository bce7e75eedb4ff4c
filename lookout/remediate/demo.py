"""The receiver's configuration in the native demo: acting (not dry-run), short guards so a
scenario closes within the fast profile, and the demo's own Docker, PM2 and TBURN."""
from __future__ import annotations

from pathlib import Path


# The TBURN simulator's session cookie (lookout.systems.tburn.simulator --session): a demo value, not a secret.
TBURN_COOKIE = "connect.sid=lookout-demo-session"


def demo_config(workdir: Path, docker_host: str | None, container: str, pm2_home: Path, sync_app: str,
                tburn_url: str, fast: bool) -> dict:
    actions: dict[str, dict] = {
        "restart-sync-server": {"type": "pm2_restart", "alerts": ["PM2ProcessDown", "SyncServerHealthDown"],
                                "target_label": "name", "allowed": [sync_app], "timeout_seconds": 30},
        "emergency-restart-sync-server": {"type": "pm2_restart", "alerts": ["PM2ProcessMemoryHigh"],
                                          "target": sync_app, "max_old_space_size_mb": 128, "timeout_seconds": 30},
        "tburn-pipeline-restart": {"type": "http", "alerts": ["TburnPipelineStopped"], "target": "tburn",
                                   "url": tburn_url, "timeout_seconds": 15, "cookie": TBURN_COOKIE,
                                   "steps": [{"path": "/api/pipeline/stop"}, {"path": "/api/pipeline/start"}]},
        "tburn-exit-degraded": {"type": "http", "alerts": ["TburnRequestShedding"], "target": "tburn",
                                "url": tburn_url, "timeout_seconds": 15, "cookie": TBURN_COOKIE,
                                "steps": [{"path": "/api/sharding/v6/shedder/exit-degraded"}]},
    }
    if docker_host:  # without Docker the collector is a plain process: nothing to restart through the API
        actions["restart-collector"] = {"type": "docker_restart", "alerts": ["TicksStale", "CollectorUnhealthy"],
                                        "target": container, "timeout_seconds": 30}
    return {
        "enabled": True, "dry_run": False, "audit_log": str(workdir / "remediate-audit.jsonl"),
        # The fast profile compresses an hour into a minute; the guards follow.
        "cooldown_seconds": 20 if fast else 600, "max_attempts": 3, "window_seconds": 120 if fast else 3600,
        "docker": {"host": docker_host or ""}, "pm2": {"home": str(pm2_home)}, "actions": actions,
    }
