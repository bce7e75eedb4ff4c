"""TBURN's rows of the alert catalog (shared/alert-catalog.md, "TBURN mainnet") and of its
dashboard, written out by hand: read by tests/alerts/test_catalog_contract.py and
tests/dashboards/test_generation.py (tests/systems.py)."""

# key: (alert, system, operator, warning, critical, for warning, for critical)
CONTRACT = {
    "tburn_up": ("TburnDown", "tburn", "<", None, 1, "", "1m"),
    "tburn_heap": ("TburnHeapHigh", "tburn", ">", 0.7, 0.85, "2m", "2m"),
    "tburn_memory_governor": ("TburnMemoryGovernorDegraded", "tburn", ">=", 1, 2, "2m", "2m"),
    "tburn_heap_growth": ("TburnMemoryGrowth", "tburn", ">", 0.05, None, "15m", ""),
    "tburn_event_loop_lag": ("TburnEventLoopLagHigh", "tburn", ">", 0.15, 0.3, "2m", "2m"),
    "tburn_error_ratio": ("TburnErrorRateHigh", "tburn", ">", 0.05, 0.15, "5m", "5m"),
    "tburn_latency_p99": ("TburnLatencyHigh", "tburn", ">", 0.5, 1, "5m", "5m"),
    "tburn_db_pool_waiting": ("TburnDbPoolWaiting", "tburn", ">", 5, 20, "2m", "2m"),
    "tburn_db_pool_available": ("TburnDbPoolExhausted", "tburn", "<", 5, None, "5m", ""),
    "tburn_circuit_breaker_open": ("TburnCircuitBreakerOpen", "tburn", ">=", 1, None, "5m", ""),
    "tburn_degraded_mode": ("TburnRequestShedding", "tburn", ">=", 1, None, "2m", ""),
    "tburn_pipeline_running": ("TburnPipelineStopped", "tburn", "<", 1, None, "5m", ""),
    "tburn_shards_min": ("TburnShardCountOutOfRange", "tburn", "<", 24, None, "10m", ""),
    "tburn_shards_max": ("TburnShardCountOutOfRange", "tburn", ">", 64, None, "10m", ""),
    "tburn_availability_burn": ("TburnAvailabilityBurn", "tburn", ">", 3, 14.4, "", ""),
}

# The catalog's "down" alerts.
DOWN = {"TburnDown"}

# A warning band the catalog bounds above by the critical level: "Deferred or Hibernating"
# (not Critical).
BOUNDED = {"tburn_memory_governor"}

# The catalog's routing notes, as cause -> effects on the same member (a subset: the model
# may explain more, but never less than these).
EXPLAINS = {"TburnHeapHigh": {"TburnMemoryGovernorDegraded"}}

# Bookmarks, links between dashboards and Grafana's home setting rely on it.
DASHBOARD_UID = "lookout-tburn"
