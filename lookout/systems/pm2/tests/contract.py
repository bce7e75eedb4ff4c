"""The sync server's (PM2's) rows of the alert catalog (shared/alert-catalog.md, "Sync server
under PM2") and of its dashboard, written out by hand: read by
tests/alerts/test_catalog_contract.py and tests/dashboards/test_generation.py (tests/systems.py)."""
MiB = 1024**2

# key: (alert, system, operator, warning, critical, for warning, for critical)
CONTRACT = {
    "pm2_restarts": ("PM2RestartsHigh", "pm2", ">", 2, 5, "", ""),
    "pm2_restart_budget": ("PM2RestartBudget", "pm2", ">=", 5, None, "", ""),
    "pm2_memory": ("PM2ProcessMemoryHigh", "pm2", ">", 0.8, 0.95, "5m", "5m"),
    "pm2_process_up": ("PM2ProcessDown", "pm2", "<", None, 1, "", "1m"),
    "pm2_daemon_up": ("PM2DaemonDown", "pm2", "<", None, 1, "", "2m"),
    "pm2_sync_health_up": ("SyncServerHealthDown", "pm2", "<", None, 1, "", "2m"),
    "pm2_sync_degraded": ("SyncServerDegraded", "pm2", ">=", 1, None, "5m", ""),
    "pm2_sync_queue_depth": ("SyncQueueDepthHigh", "pm2", ">", 100, 500, "5m", "5m"),
    "pm2_sync_api_errors": ("SyncApiErrorsHigh", "pm2", ">", 5, 20, "5m", "5m"),
    "pm2_sync_duration": ("SyncSlow", "pm2", ">", 30, None, "", ""),
    "pm2_host_memory_available": ("HostMemoryLow", "pm2", "<", 500 * MiB, 100 * MiB, "5m", "5m"),
    # Proposed in docs/alerting.md (issue 21), from the applications' own data-loss and
    # watchdog lines; not yet rows of the shared catalog.
    "pm2_watchdog_restarts": ("PM2WatchdogRestarting", "pm2", ">", 1, None, "", ""),
    "pm2_watchdog_gave_up": ("PM2WatchdogGaveUp", "pm2", ">", None, 0, "", ""),
}

# The catalog's "down" alerts.
DOWN = {"PM2DaemonDown", "PM2ProcessDown"}

# The catalog's routing notes, as cause -> effects on the same member (a subset: the model
# may explain more, but never less than these).
EXPLAINS = {"PM2ProcessDown": {"SyncServerHealthDown", "SyncQueueDepthHigh", "SyncApiErrorsHigh"}}
# Member labels that name what an alert is about (PM2's process name).
MEMBERS = {"PM2ProcessDown": ("name",), "PM2RestartsHigh": ("name",), "PM2RestartBudget": ("name",),
           "SyncQueueDepthHigh": ("name",)}

# Bookmarks, links between dashboards and Grafana's home setting rely on it.
DASHBOARD_UID = "lookout-sync-server"
