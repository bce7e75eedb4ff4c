"""The tick collector's rows of the alert catalog (shared/alert-catalog.md, "Tick collector on
TimescaleDB and Docker") and of its dashboard, written out by hand: read by
tests/alerts/test_catalog_contract.py and tests/dashboards/test_generation.py (tests/systems.py)."""

# key: (alert, system, operator, warning, critical, for warning, for critical)
CONTRACT = {
    "ticks_rate": ("TickRateLow", "ticks", "<", 150, 50, "5m", "5m"),
    "ticks_last_tick_age": ("TicksStale", "ticks", ">", 300, 600, "", ""),
    "ticks_reconnects": ("CollectorReconnectsHigh", "ticks", ">", 10, 50, "", ""),
    "ticks_errors": ("CollectorErrorsHigh", "ticks", ">", 50, 200, "", ""),
    "ticks_restarts": ("CollectorRestarting", "ticks", ">", 3, 10, "", ""),
    "ticks_container_running": ("CollectorDown", "ticks", "<", None, 1, "", "1m"),
    "ticks_container_unhealthy": ("CollectorUnhealthy", "ticks", ">=", None, 1, "", "1m"),
    "ticks_container_oom_killed": ("CollectorOOMKilled", "ticks", ">=", 1, None, "", ""),
    "ticks_container_memory": ("CollectorMemoryNearLimit", "ticks", ">", 0.9, None, "10m", ""),
    "ticks_database_up": ("TickDatabaseDown", "ticks", "<", None, 1, "", "1m"),
    "ticks_disk_usage": ("DiskUsageHigh", "ticks", ">", 0.9, 0.95, "5m", "5m"),
    # Proposed in docs/alerting.md (issue 21), from the applications' own data-loss and
    # watchdog lines; not yet a row of the shared catalog.
    "ticks_data_lost": ("TickDataLost", "ticks", ">", None, 0, "", ""),
}

# The catalog's "down" alerts.
DOWN = {"TickDatabaseDown", "CollectorDown"}

# A warning band the catalog bounds above by the critical level: "< 150 (and >= 50)".
BOUNDED = {"ticks_rate"}

# The catalog's examples of symptoms (stale, rate low).
SYMPTOMS = {"TicksStale", "TickRateLow"}

# The catalog's routing notes, as cause -> effects on the same member (a subset: the model
# may explain more, but never less than these).
EXPLAINS = {
    "TicksStale": {"TickRateLow"},
    "TickDatabaseDown": {"TicksStale", "TickRateLow", "ExporterCollectorFailing"},
    # Changed on 2026-12-06: "it silences TicksStale/TickRateLow of the table that container feeds".
    "CollectorDown": {"TicksStale", "TickRateLow"},
}
# Member labels that name what an alert is about. A table's alerts also carry the container
# declared to feed it (tables[].fed_by): the member CollectorDown shares with them.
MEMBERS = {"CollectorDown": ("container",), "TicksStale": ("table", "container"),
           "TickRateLow": ("table", "container")}

# Bookmarks, links between dashboards and Grafana's home setting rely on it.
DASHBOARD_UID = "lookout-ticks"
