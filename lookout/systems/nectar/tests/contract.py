"""Nectar's rows of the alert catalog (shared/alert-catalog.md, "Nectar indexer on TiDB") and
of its dashboard, written out by hand: read by tests/alerts/test_catalog_contract.py and
tests/dashboards/test_generation.py (tests/systems.py)."""
GiB = 1024**3

# key: (alert, system, operator, warning, critical, for warning, for critical)
CONTRACT = {
    "nectar_database_up": ("NectarDatabaseDown", "nectar", "<", None, 1, "", "1m"),
    "tidb_uptime": ("TiDBRestarted", "nectar", "<", 900, None, "", ""),
    "nectar_sync_progress": ("NectarSyncStalled", "nectar", "<", None, 1, "", "10m"),
    "nectar_sync_speed": ("NectarSyncSlow", "nectar", "<", 100, None, "30m", ""),
    "nectar_memory": ("NectarMemoryHigh", "nectar", ">=", 80 * GiB, 95 * GiB, "10m", "5m"),
    "nectar_memory_projection": ("NectarMemoryGrowing", "nectar", ">", 100 * GiB, None, "1h", ""),
    "nectar_process_up": ("NectarProcessDown", "nectar", "<", None, 1, "", "2m"),
    # The catalog gives NectarReconnecting no `for`; its routing note ("one root cause, one
    # page") needs NectarDatabaseDown (for 1m) to fire first, so 1m (docs/alerting.md).
    "nectar_reconnects": ("NectarReconnecting", "nectar", ">=", 3, None, "1m", ""),
    "nectar_reconnect_giveups": ("NectarReconnecting", "nectar", ">=", None, 1, "", "1m"),
    "tidb_oldest_query": ("TiDBLongRunningQuery", "nectar", ">", 60, 300, "2m", "2m"),
    # Proposed in docs/alerting.md (issue 21), from the applications' own data-loss and
    # watchdog lines; not yet a row of the shared catalog.
    "nectar_blocks_dropped": ("NectarBlocksDropped", "nectar", ">", None, 0, "", ""),
}

# The catalog's "down" alerts; NectarProcessDown joins them (the process not running
# explains a stalled sync as much as the database does).
DOWN = {"NectarDatabaseDown", "NectarProcessDown"}

# The catalog's examples of symptoms (stalled).
SYMPTOMS = {"NectarSyncStalled"}

# The catalog's routing notes, as cause -> effects on the same member (a subset: the model
# may explain more, but never less than these).
EXPLAINS = {
    "NectarSyncStalled": {"NectarSyncSlow"},
    "NectarDatabaseDown": {"NectarSyncStalled", "NectarReconnecting", "ExporterCollectorFailing"},
}

# Bookmarks, links between dashboards and Grafana's home setting rely on it.
DASHBOARD_UID = "lookout-nectar"
