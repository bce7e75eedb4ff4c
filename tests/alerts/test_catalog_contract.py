"""The alert catalog (shared/alert-catalog.md) as a literal table, against the defaults.

Written out by hand from the catalog, not derived from the code: a default that drifts
from the contract fails here even though the generated promtool cases would follow it.
"""
from __future__ import annotations

import pytest

from lookout.alert_rules import catalog
from lookout.alert_rules.model import Signal

GiB, MiB = 1024**3, 1024**2

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
    "nectar_blocks_dropped": ("NectarBlocksDropped", "nectar", ">", None, 0, "", ""),
    "ticks_data_lost": ("TickDataLost", "ticks", ">", None, 0, "", ""),
    "pm2_watchdog_restarts": ("PM2WatchdogRestarting", "pm2", ">", 1, None, "", ""),
    "pm2_watchdog_gave_up": ("PM2WatchdogGaveUp", "pm2", ">", None, 0, "", ""),
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
    "exporter_up": ("ExporterDown", "exporter", "<", None, 1, "", "2m"),
    "exporter_collector_success": ("ExporterCollectorFailing", "exporter", "<", 1, None, "5m", ""),
    "exporter_fields_missing": ("ExporterFieldsMissing", "exporter", ">", 0, None, "10m", ""),
}
# Warning bands the catalog bounds above by the critical level: "< 150 (and >= 50)",
# "Deferred or Hibernating" (not Critical).
BOUNDED = {"ticks_rate", "tburn_memory_governor"}

# The catalog's routing notes, as cause -> effects on the same member (a subset: the model
# may explain more, but never less than these).
EXPLAINS = {
    "TicksStale": {"TickRateLow"},
    "TburnHeapHigh": {"TburnMemoryGovernorDegraded"},
    "NectarSyncStalled": {"NectarSyncSlow"},
    "NectarDatabaseDown": {"NectarSyncStalled", "NectarReconnecting", "ExporterCollectorFailing"},
    "TickDatabaseDown": {"TicksStale", "TickRateLow", "ExporterCollectorFailing"},
    "PM2ProcessDown": {"SyncServerHealthDown", "SyncQueueDepthHigh", "SyncApiErrorsHigh"},
    # Changed on 2026-12-06: "it silences TicksStale/TickRateLow of the table that container feeds".
    "CollectorDown": {"TicksStale", "TickRateLow"},
}
# Member labels that name what an alert is about (process name, container, table, path...).
MEMBERS = {"PM2ProcessDown": ("name",), "PM2RestartsHigh": ("name",), "PM2RestartBudget": ("name",),
           # A table's alerts also carry the container declared to feed it (tables[].fed_by):
           # the member CollectorDown shares with them.
           "CollectorDown": ("container",), "TicksStale": ("table", "container"),
           "TickRateLow": ("table", "container"),
           "SyncQueueDepthHigh": ("name",), "ExporterCollectorFailing": ("exporter", "collector"),
           "ExporterFieldsMissing": ("exporter", "collector", "field")}

# The catalog's "down" alerts; NectarProcessDown joins them (the process not running
# explains a stalled sync as much as the database does).
DOWN = {"NectarDatabaseDown", "TickDatabaseDown", "CollectorDown", "PM2DaemonDown", "PM2ProcessDown",
        "TburnDown", "ExporterDown", "NectarProcessDown"}
OPERATOR = {("above", False): ">", ("above", True): ">=", ("below", False): "<", ("below", True): "<="}


def _row(s: Signal) -> tuple:
    return (s.alert, s.system, OPERATOR[s.direction, s.inclusive], s.warning, s.critical,
            s.for_warning, s.for_critical)


def test_defaults_match_the_catalog(default_signals):
    assert {s.key: _row(s) for s in default_signals} == CONTRACT


def test_burn_rate_pairs_match_the_catalog(default_signals):
    from lookout.systems.tburn.signals import BURN_WINDOWS, OBJECTIVE, _factor
    sig = next(s for s in default_signals if s.key == "tburn_availability_burn")
    assert OBJECTIVE == 0.999
    assert {(w.severity, w.long, w.short, _factor(sig, w.factor)) for w in BURN_WINDOWS} == {
        ("critical", "1h", "5m", 14.4), ("critical", "6h", "30m", 6),
        ("warning", "1d", "2h", 3), ("warning", "3d", "6h", 1)}


def test_down_and_symptom_roles(default_signals):
    assert {s.alert for s in default_signals if s.role == "down"} == DOWN
    # The catalog's examples of symptoms: stalled, stale, rate low.
    symptoms = {s.alert for s in default_signals if s.role == "symptom"}
    assert {"NectarSyncStalled", "TicksStale", "TickRateLow"} <= symptoms
    assert not symptoms & DOWN


def test_bounded_warning_bands(default_signals):
    assert {s.key for s in default_signals if s.warning_bounded} == BOUNDED


def test_the_causal_model_holds_the_catalogs_explanations(default_signals):
    explained: dict[str, set] = {}
    for s in default_signals:
        explained.setdefault(s.alert, set()).update(e.alert for e in s.explains)
    for cause, effects in EXPLAINS.items():
        assert effects <= explained[cause], (cause, effects - explained[cause])
    members = {s.alert: s.members for s in default_signals}
    assert {a: members[a] for a in MEMBERS} == MEMBERS


def test_no_rule_keeps_a_volatile_identity():
    """pm_id changes on delete + start, a container id on re-create, a pid on every restart."""
    from lookout.alert_rules.settings import OUTPUT_DIR
    import yaml
    for path in sorted(OUTPUT_DIR.glob("*.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                text = str(rule.get("annotations", "")) + str(rule.get("labels", ""))
                assert "pm_id" not in text and "pid" not in text and "container_id" not in text, rule
                if "pm2_process" in rule["expr"] and "alert" in rule:
                    assert "without (pm_id)" in rule["expr"] or rule["expr"].startswith("pm2:"), rule


def test_every_alert_has_a_summary_description_and_runbook(default_signals):
    for s in default_signals:
        assert s.summary and s.description and s.runbook, s.key


def test_the_dashboards_interface():
    """What dashboards/ reads: build(), signal(key, signals), and these fields and steps()."""
    signals = catalog.build()
    assert signals and all(isinstance(s, Signal) for s in signals)
    memory = catalog.signal("nectar_memory", signals)
    for name in ("key", "system", "alert", "expr", "unit", "direction", "warning", "critical"):
        assert getattr(memory, name) is not None
    assert memory.steps() == [(None, "green"), (memory.warning, "yellow"), (memory.critical, "red")]
    assert catalog.signal("ticks_rate", signals).steps() == [(None, "red"), (50, "yellow"), (150, "green")]
    with pytest.raises(KeyError, match="no_such_signal"):
        catalog.signal("no_such_signal", signals)


def test_demo_scenarios_say_truly_where_each_notification_goes(default_signals):
    """`lookout demo scenarios` and docs/demo.md: a page is a critical alert, chat a warning;
    the scenario's own alert is one of them, and nothing listed is explained by another listed
    alert of the same scenario (it would be inhibited, not sent)."""
    from lookout.demo.scenarios import SCENARIOS
    levels = {}
    explains = {}
    for s in default_signals:
        levels.setdefault(s.alert, set()).update(lvl for lvl in ("warning", "critical") if getattr(s, lvl) is not None)
        explains.setdefault(s.alert, set()).update(e.alert for e in s.explains)
    for sc in SCENARIOS.values():
        assert all("critical" in levels[a] for a in sc.pages), sc.name
        assert all("warning" in levels[a] for a in sc.chat), sc.name
        assert sc.alert in sc.pages + sc.chat, sc.name
        listed = set(sc.pages + sc.chat)
        assert not any(explains[a] & listed for a in listed), sc.name
