"""The ETH option tick collector on TimescaleDB and Docker (runbook 002).

Its green/yellow/red table: reconnects < 10/h, 10-50, > 50; errors < 50/h, 50-200, > 200;
tick rate 150-250/min, 50-150, < 50; "no ticks for > 10 minutes"; the watchdog's 5
minutes; "collector restarts > 10 times/hour"; "disk usage > 90%"; the 2G memory limit.
"""
from __future__ import annotations

import dataclasses

from lookout.alert_rules.model import EmailCondition, Signal, effects

RECONNECTS_1H = "ticks:log_reconnects:increase1h"
ERRORS_1H = "ticks:log_errors:increase1h"
RESTARTS_1H = "ticks:container_restarts:increase1h"
MEMORY_RATIO = "ticks:container_memory:limit_ratio"
FLUSHES_LOST_15M = "ticks:collector_flushes_lost:increase15m"
# The table's readings with the container that feeds it (tables[].fed_by) as a `container`
# label, where one is declared: the member CollectorDown shares with them.
TICK_AGE = "ticks:table_last_tick_age_seconds:fed"
TICK_RATE = "ticks:table_ticks_per_minute:fed"

SIGNALS = [
    Signal(
        key="ticks_rate", system="ticks", alert="TickRateLow",
        expr="ticks_table_ticks_per_minute", unit="short", direction="below", warning=150, critical=50,
        for_warning="5m", for_critical="5m", role="symptom", warning_bounded=True, members=("table", "container"),
        summary="Ticks are arriving more slowly than the market sends them.",
        description="Table {{ $labels.table }} on {{ $labels.instance }} received {value} ticks/min"
                    " (alert below {threshold}); expected 150-250/min for 50 instruments.",
    ),
    Signal(
        key="ticks_last_tick_age", system="ticks", alert="TicksStale",
        expr="ticks_table_last_tick_age_seconds", unit="s", direction="above", warning=300, critical=600,
        # Held 30m: the rate's window (the exporter's, 5m) still counts the stall after ticks resume;
        # 30m, not 10m (window + `for`), because the fast demo's window cannot shrink as far (profiles.py).
        role="symptom", members=("table", "container"), explains=effects("TickRateLow", hold="30m"),
        summary="No new ticks have been written for minutes.",
        description="The newest row of {{ $labels.table }} on {{ $labels.instance }} is {value} old"
                    " (alert past {threshold}).",
        remedy="restart-collector", remedy_severity="critical",
    ),
    Signal(
        key="ticks_reconnects", system="ticks", alert="CollectorReconnectsHigh",
        expr=RECONNECTS_1H, unit="short", direction="above", warning=10, critical=50, role="symptom",
        members=("container",),
        summary="The tick collector keeps reconnecting its WebSocket.",
        description="Container {{ $labels.container }} on {{ $labels.instance }} logged {value} reconnections"
                    " in the last hour (alert past {threshold}).",
    ),
    Signal(
        key="ticks_errors", system="ticks", alert="CollectorErrorsHigh",
        expr=ERRORS_1H, unit="short", direction="above", warning=50, critical=200, role="symptom",
        members=("container",),
        summary="The tick collector is logging many errors.",
        description="Container {{ $labels.container }} on {{ $labels.instance }} logged {value} ERROR lines"
                    " in the last hour (alert past {threshold}).",
    ),
    Signal(
        key="ticks_restarts", system="ticks", alert="CollectorRestarting",
        expr=RESTARTS_1H, unit="short", direction="above", warning=3, critical=10, members=("container",),
        # A crash-looping collector writes nothing between its runs: the gaps in its table are
        # this incident, held 30m after like CollectorDown's. (CollectorDown itself does not
        # fire while Docker keeps restarting it; see its guard.)
        # (TicksStale is a level that ends with the gaps; Docker's back-off stays under its 300 s.)
        explains=effects("TickRateLow", hold="30m"),
        summary="Docker keeps restarting the tick collector.",
        description="Container {{ $labels.container }} on {{ $labels.instance }} restarted {value} times"
                    " in the last hour (alert past {threshold}).",
    ),
    Signal(
        key="ticks_container_running", system="ticks", alert="CollectorDown",
        expr="ticks_container_running", unit="short", direction="below", warning=None, critical=1,
        for_critical="1m", role="down", members=("container",),
        # Down while Docker is still restarting it is a crash loop (CollectorRestarting's
        # incident), not "the restart policy has not brought it back": Docker's back-off
        # between restarts grows to at most a minute (moby restartmanager), so a container
        # that restarted within the last 2m is being brought back. Without this guard a crash
        # loop fires and resolves CollectorDown with every restart once the back-off passes `for`.
        when="on(instance, job, container) (ticks_container_running"
             " unless on(instance, job, container) increase(ticks_container_restarts_total[2m]) > 0)",
        # The table it feeds (tables[].fed_by in the exporter's configuration) carries its
        # name as `container`: its stale ticks and low rate are this, another table's are not.
        # Held 30m after (as TicksStale's): the rate's window still counts the outage once it runs again.
        explains=(*effects("CollectorUnhealthy", "CollectorReconnectsHigh", "CollectorErrorsHigh",
                           "CollectorMemoryNearLimit"),
                  *effects("TicksStale"), *effects("TickRateLow", hold="30m")),
        summary="The tick collector container is not running.",
        description="ticks_container_running is {value} for {{ $labels.container }} on {{ $labels.instance }}:"
                    " the restart policy has not brought it back within a minute.",
    ),
    Signal(
        key="ticks_container_unhealthy", system="ticks", alert="CollectorUnhealthy",
        expr='max without (ticks_container_health) (ticks_container_health{ticks_container_health="unhealthy"})',
        unit="short", direction="above", warning=None, critical=1, inclusive=True,
        for_critical="1m", role="symptom", members=("container",),
        summary="Docker reports the tick collector unhealthy.",
        description="Container {{ $labels.container }} on {{ $labels.instance }} has failed its HEALTHCHECK"
                    " 3 times in a row (unhealthy = {value}).",
        remedy="restart-collector",
    ),
    Signal(
        # An event, so it must end: Docker keeps OOMKilled set until the next exit, so the
        # alert holds for 15 minutes after the restart that followed the OOM kill (the
        # container's start time changed). One that never comes back is CollectorDown.
        key="ticks_container_oom_killed", system="ticks", alert="CollectorOOMKilled",
        expr="ticks_container_oom_killed", unit="short", direction="above", warning=1, critical=None,
        inclusive=True, members=("container",),
        when="on(instance, job, container) changes(ticks_container_start_time_seconds[15m]) > 0",
        summary="The tick collector's last exit was an out-of-memory kill.",
        description="Container {{ $labels.container }} on {{ $labels.instance }} was OOM-killed"
                    " (oom_killed = {value}); Docker restarted it.",
    ),
    Signal(
        key="ticks_container_memory", system="ticks", alert="CollectorMemoryNearLimit",
        expr=MEMORY_RATIO, unit="percentunit", direction="above", warning=0.9, critical=None,
        for_warning="10m", members=("container",),
        summary="The tick collector is close to its memory limit.",
        description="Container {{ $labels.container }} on {{ $labels.instance }} uses {value} of its memory"
                    " limit (alert past {threshold}).",
    ),
    Signal(
        # Issue 21: runbook 002 promises "0% (buffered)", but a flush whose write fails 3 times
        # is dropped (ws_tick_collector.py _flush_buffers): data lost for good, so a page. Any
        # lost flush counts (the runbooks give no number; one is already a gap in the
        # market data). Not while the database was down in the window: TickDatabaseDown has
        # paged for that outage, and its losses would otherwise page again after it mended.
        key="ticks_data_lost", system="ticks", alert="TickDataLost",
        expr=FLUSHES_LOST_15M, unit="short", direction="above", warning=None, critical=0,
        members=("container",), when="on(instance, job) min_over_time(ticks_up[15m]) == 1",
        # Each lost flush writes five ERROR lines of its own (three attempts, the batch, the flush).
        explains=effects("CollectorErrorsHigh"),
        summary="The tick collector dropped buffered ticks for good.",
        description="Container {{ $labels.container }} on {{ $labels.instance }} dropped {value} buffer flushes"
                    " in the last 15 minutes after failed database writes; their ticks are lost.",
    ),
    Signal(
        key="ticks_database_up", system="ticks", alert="TickDatabaseDown",
        expr="ticks_up", unit="short", direction="below", warning=None, critical=1,
        for_critical="1m", role="down",
        # Its table collectors (lookout/systems/ticks/exporter/tables.py, named table_<table>) need the database,
        # and the "ping" probe is ticks_up itself.
        explains=(*effects("TicksStale", "TickRateLow", "CollectorErrorsHigh"),
                  *effects("ExporterCollectorFailing", where=('collector=~"ping|table_.+"',))),
        summary="The ticks exporter cannot query TimescaleDB.",
        description="ticks_up is {value} on {{ $labels.instance }}: TimescaleDB has not answered the"
                    " exporter's queries for a minute, so the collector cannot write either.",
    ),
    Signal(
        key="ticks_disk_usage", system="ticks", alert="DiskUsageHigh",
        expr="ticks_disk_used_ratio", unit="percentunit", direction="above", warning=0.9, critical=0.95,
        for_warning="5m", for_critical="5m", members=("path",),
        summary="A volume the tick stack writes to is nearly full.",
        description="{{ $labels.path }} on {{ $labels.instance }} is {value} full (alert past {threshold});"
                    " when it fills, new writes fail.",
    ),
]

# Runbook 002's "Email Alerts: sent when" list (lookout/alert_rules/email.py mails them).
# "Error rate > 100/hour" has no signal boundary of its own: the runbook's green/yellow/red
# table puts yellow at 50/hour and red at 200/hour (CollectorErrorsHigh warning/critical), so
# both severities are mailed, from 50/hour.
EMAIL_CONDITIONS = (
    EmailCondition("Collector restarts > 10 times/hour", "CollectorRestarting", ("critical",)),
    EmailCondition("Error rate > 100/hour", "CollectorErrorsHigh", ("warning", "critical")),
    EmailCondition("No ticks received for > 10 minutes", "TicksStale", ("critical",)),
    EmailCondition("Disk usage > 90%", "DiskUsageHigh", ("warning", "critical")),
)


def _count_1h(event: str) -> str:
    return f'sum without (event) (round(increase(ticks_log_events_total{{event="{event}"}}[1h])))'


def _fed(metric: str) -> str:
    return (f"{metric} * on(instance, job, table) group_left(container) ticks_table_fed_by\n"
            f"or on(instance, job, table) {metric}")


def recording_rules(signal) -> list[dict]:
    return [
        {"record": TICK_AGE, "expr": _fed("ticks_table_last_tick_age_seconds")},
        {"record": TICK_RATE, "expr": _fed("ticks_table_ticks_per_minute")},
        {"record": RECONNECTS_1H, "expr": _count_1h("reconnect")},
        {"record": ERRORS_1H, "expr": _count_1h("error")},
        {"record": RESTARTS_1H, "expr": "round(increase(ticks_container_restarts_total[1h]))"},
        {"record": FLUSHES_LOST_15M, "expr": "round(increase(ticks_collector_flushes_lost_total[15m]))"},
        # No limit (0) would divide to +Inf: such containers get no ratio.
        {"record": MEMORY_RATIO,
         "expr": "ticks_container_memory_usage_bytes / (ticks_container_memory_limit_bytes > 0)"},
    ]


# The alerts read these instead of the signal's expr (which the dashboards show as it is).
FED = {"ticks_rate": TICK_RATE, "ticks_last_tick_age": TICK_AGE}


class _Plain:
    """A module without custom conditions: rules.condition's own comparison."""
    @staticmethod
    def conditions(signal, severity: str, boundary: str) -> None:
        return None


def conditions(signal, severity: str, boundary: str) -> str | None:
    if signal.key not in FED:
        return None
    from lookout.alert_rules.rules import condition  # the generator's own comparison, on the fed-by reading
    return condition(dataclasses.replace(signal, expr=FED[signal.key], when=""), severity, _Plain)
