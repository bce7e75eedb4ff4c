"""How each sync-server (PM2) signal's series are made for the generated promtool cases
(tests/alerts/rulecases.py): the metric it reads and the labels its alert keeps."""
from tests.alerts.rulecases import Fixture, base, burst, gauge, ratio, selector

SYNC_STATES = ("healthy", "degraded", "unhealthy", "unknown")
P = {"name": "rss-sync-server", "volatile": {"pm_id": "3"}}

FIXTURES: dict[str, Fixture] = {
    "pm2_restarts": burst("pm2", "pm2_process_restarts_total", 60, **P),
    "pm2_restart_budget": burst("pm2", "pm2_process_restarts_total", 1440, **P),
    "pm2_memory": ratio("pm2", "pm2_process_memory_bytes", "pm2_process_memory_limit_bytes", **P),
    "pm2_process_up": gauge("pm2", "pm2_process_up", **P),
    "pm2_daemon_up": gauge("pm2", "pm2_up"),
    "pm2_sync_health_up": gauge("pm2", "lookout_collector_success", exporter="pm2", collector="health"),
    "pm2_sync_queue_depth": gauge("pm2", "pm2_sync_queue_pending"),
    "pm2_sync_duration": gauge("pm2", "pm2_sync_last_duration_seconds", 0.5),
    "pm2_host_memory_available": gauge("pm2", "pm2_host_memory_available_bytes"),
    "pm2_sync_degraded": Fixture(
        lambda v: {selector("pm2_sync_dependency_status", {**base("pm2", {}), "dependency": "database",
                                                           "pm2_sync_dependency_status": s}): float(s == state)
                   for state in ["degraded" if v >= 1 else "healthy"] for s in SYNC_STATES},
        base("pm2", {"component": "database"})),
}
