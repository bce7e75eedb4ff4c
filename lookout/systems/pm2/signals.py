"""The RSS sync server under PM2 (runbook 003, RR-66).

Its alert threshold table: restarts/hour > 2 / > 5, memory usage > 80% / > 95%, queue
depth > 100 / > 500, API errors > 5/min / > 20/min, free RAM < 500MB / < 100MB; and its
success criteria: "restarts < 5 per day", "sync operations complete within 30 seconds".

A process is identified by its `name` only: PM2 gives a re-created process (the runbook's
emergency "pm2 delete" + "pm2 start") a new pm_id, so no rule keeps pm_id (and none sees a pid).
The sync server's own alerts (its health endpoint, queue, API errors) carry the configured
`name` of its PM2 process, so that process being down explains them and another's does not.
"""
from __future__ import annotations

from lookout.alert_rules.model import Signal, effects
from lookout.alert_rules.units import promql_number

MiB = 1024**2

RESTARTS_1H = "pm2:process_restarts:increase1h"
RESTARTS_1D = "pm2:process_restarts:increase1d"
MEMORY_RATIO = "pm2:process_memory:limit_ratio"
API_ERRORS_PER_MINUTE = "pm2:sync_api_errors:rate5m_per_minute"
WATCHDOG_RESTARTS_1H = "pm2:watchdog_restarts:increase1h"
WATCHDOG_GAVE_UP_15M = "pm2:watchdog_gave_up:increase15m"

# This system's own settings in thresholds.yml's `_config` (lookout/alert_rules/settings.py):
# sync_server_process, the PM2 process name of the sync server (runbook 003: `pm2 logs
# rss-sync-server`). Its health alerts carry it as `name`, so that process's PM2ProcessDown
# explains them and another process's does not.
CONFIG = {"sync_server_process": "rss-sync-server"}

# The sync server's own alerts: about the PM2 process named in _config.sync_server_process.
SYNC_SERVER_ALERTS = ("SyncServerHealthDown", "SyncServerDegraded", "SyncQueueDepthHigh",
                      "SyncApiErrorsHigh", "SyncSlow")
SYNC_SERVER = {"members": ("name",), "labels": {"name": "${sync_server_process}"}}
_BAD = '"degraded|unhealthy"'
DEGRADED = (f'label_replace(max without (pm2_sync_health_status) (pm2_sync_health_status{{pm2_sync_health_status=~{_BAD}}}),'
            ' "component", "server", "", "")\nor max without (dependency, pm2_sync_dependency_status) (label_replace('
            f'pm2_sync_dependency_status{{pm2_sync_dependency_status=~{_BAD}}}, "component", "$1", "dependency", "(.+)"))')

SIGNALS = [
    Signal(
        key="pm2_restarts", system="pm2", alert="PM2RestartsHigh",
        expr=RESTARTS_1H, unit="short", direction="above", warning=2, critical=5, members=("name",),
        summary="PM2 keeps restarting a process.",
        description="PM2 restarted {{ $labels.name }} on {{ $labels.instance }}"
                    " {value} times in the last hour (alert past {threshold}).",
    ),
    Signal(
        key="pm2_restart_budget", system="pm2", alert="PM2RestartBudget",
        expr=RESTARTS_1D, unit="short", direction="above", warning=5, critical=None, inclusive=True, members=("name",),
        summary="A PM2 process has used up its daily restart budget.",
        description="PM2 restarted {{ $labels.name }} on {{ $labels.instance }}"
                    " {value} times in 24 hours; the target is fewer than {threshold}.",
    ),
    Signal(
        # limit = max_memory_restart when PM2 reports one, else params.default_limit_bytes
        # (the 200 MB the runbook configures).
        key="pm2_memory", system="pm2", alert="PM2ProcessMemoryHigh",
        expr=MEMORY_RATIO, unit="percentunit", direction="above", warning=0.8, critical=0.95,
        for_warning="5m", for_critical="5m", params={"default_limit_bytes": 200 * MiB}, members=("name",),
        summary="A PM2 process is close to its memory limit.",
        description="{{ $labels.name }} on {{ $labels.instance }} uses {value} of its"
                    " memory limit (alert past {threshold}); PM2 restarts it at the limit.",
        remedy="emergency-restart-sync-server", remedy_severity="critical",
    ),
    Signal(
        key="pm2_process_up", system="pm2", alert="PM2ProcessDown",
        # Any instance of the name not online (cluster mode runs several under one name); a
        # name expected by configuration and absent from PM2 altogether (deleted, or lost with
        # a daemon replaced by an empty one) has no status, and reads its instance count, 0.
        expr="min without (pm_id) (pm2_process_up) or pm2_expected_process_instances",
        unit="short", direction="below", warning=None, critical=1,
        for_critical="1m", role="down", members=("name",),
        explains=effects("PM2ProcessMemoryHigh", *SYNC_SERVER_ALERTS),
        summary="A PM2 process is not online.",
        description="{{ $labels.name }} on {{ $labels.instance }} has not been online for a minute"
                    " (pm2_process_up = {value}; 0 also when the expected process is absent from PM2).",
        remedy="restart-sync-server",
    ),
    Signal(
        # pm2_up: `processes`, pm2's only critical collector, fails exactly when the daemon's
        # RPC socket does not answer (docs/exporters/pm2.md); so it also explains that
        # collector's failure.
        key="pm2_daemon_up", system="pm2", alert="PM2DaemonDown",
        expr="pm2_up", unit="short", direction="below", warning=None, critical=1,
        for_critical="2m", role="down",
        explains=(*effects("PM2ProcessDown", "PM2ProcessMemoryHigh", *SYNC_SERVER_ALERTS),
                  *effects("ExporterCollectorFailing", where=('exporter="pm2"', 'collector="processes"'))),
        summary="The exporter cannot reach the PM2 daemon.",
        description="pm2_up is {value} on {{ $labels.instance }}: PM2's RPC socket has not answered"
                    " for 2 minutes.",
    ),
    Signal(
        # The health collector fails only when the endpoint does not answer at all: a 503
        # with its health JSON is an answer (docs/exporters/pm2.md).
        key="pm2_sync_health_up", system="pm2", alert="SyncServerHealthDown",
        expr='lookout_collector_success{exporter="pm2", collector="health"}', unit="short", direction="below",
        warning=None, critical=1,
        for_critical="2m", role="symptom", **SYNC_SERVER,
        explains=(*effects(*(a for a in SYNC_SERVER_ALERTS if a != "SyncServerHealthDown")),
                  *effects("ExporterCollectorFailing", where=('exporter="pm2"', 'collector="health"'), same=())),
        summary="The sync server's health endpoint does not answer.",
        description="The sync server's health endpoint, read by {{ $labels.instance }}, has not answered"
                    " at all for 2 minutes (collector success = {value}).",
        remedy="restart-sync-server",
    ),
    Signal(
        # 1 while the health JSON's own `status`, or one of its `dependencies` (database,
        # oauth, sync_queue), reads degraded or unhealthy (docs/exporters/pm2.md; the
        # app's server/lib/sync-health-check.js). `component` says which ("server" for itself).
        key="pm2_sync_degraded", system="pm2", alert="SyncServerDegraded",
        expr=DEGRADED, unit="short", direction="above", warning=1, critical=None,
        inclusive=True, for_warning="5m", role="symptom", members=("name", "component"),
        labels=SYNC_SERVER["labels"],
        summary="The sync server reports itself or a dependency degraded.",
        description="The sync server's health endpoint on {{ $labels.instance }} has reported"
                    " {{ $labels.component }} degraded or unhealthy for 5 minutes (degraded = {value}).",
    ),
    Signal(
        key="pm2_sync_queue_depth", system="pm2", alert="SyncQueueDepthHigh",
        expr="pm2_sync_queue_pending", unit="short", direction="above", warning=100, critical=500,
        for_warning="5m", for_critical="5m", role="symptom", **SYNC_SERVER,
        # The health check reads the same queue: past 100 pending it reports sync_queue
        # degraded, and so itself (server/lib/sync-health-check.js): the backlog explains both.
        explains=effects("SyncServerDegraded", where=('component=~"server|sync_queue"',)),
        summary="The sync queue is backing up.",
        description="The sync queue on {{ $labels.instance }} holds {value} items (alert past {threshold}).",
    ),
    Signal(
        key="pm2_sync_api_errors", system="pm2", alert="SyncApiErrorsHigh",
        expr=API_ERRORS_PER_MINUTE, unit="short", direction="above", warning=5, critical=20,
        for_warning="5m", for_critical="5m", role="symptom", **SYNC_SERVER,
        summary="The sync server's API calls are failing.",
        description="The sync server on {{ $labels.instance }} counts {value} API errors/min over 5 minutes"
                    " (alert past {threshold}); check database connectivity.",
    ),
    Signal(
        key="pm2_sync_duration", system="pm2", alert="SyncSlow",
        expr="pm2_sync_last_duration_seconds", unit="s", direction="above", warning=30, critical=None,
        role="symptom", **SYNC_SERVER,
        summary="The last sync operation took longer than 30 seconds.",
        description="The last sync on {{ $labels.instance }} took {value} (target: within {threshold}).",
    ),
    Signal(
        # Issue 21: restarts the host's watchdog (rss-services-monitor) decided, apart from
        # crashes. It allows itself 3 an hour per app; a second within the hour means the
        # first did not hold (the runbooks give no number for it).
        key="pm2_watchdog_restarts", system="pm2", alert="PM2WatchdogRestarting",
        expr=WATCHDOG_RESTARTS_1H, unit="short", direction="above", warning=1, critical=None,
        members=("service",),
        summary="The host's watchdog keeps restarting an app.",
        description="The watchdog on {{ $labels.instance }} restarted {{ $labels.service }} {value} times in"
                    " the last hour (alert past {threshold}; it stops at 3 an hour).",
    ),
    Signal(
        # Its restart budget spent, the watchdog stops restarting the app and logs
        # "rate_limited" on every check: the app stays broken until someone acts.
        key="pm2_watchdog_gave_up", system="pm2", alert="PM2WatchdogGaveUp",
        expr=WATCHDOG_GAVE_UP_15M, unit="short", direction="above", warning=None, critical=0,
        members=("service",),
        summary="The host's watchdog gave up restarting an app.",
        description="The watchdog on {{ $labels.instance }} refused {value} restarts of {{ $labels.service }} in"
                    " the last 15 minutes: 3 this hour already; the app stays down until someone acts.",
    ),
    Signal(
        key="pm2_host_memory_available", system="pm2", alert="HostMemoryLow",
        expr="pm2_host_memory_available_bytes", unit="bytes", direction="below",
        warning=500 * MiB, critical=100 * MiB, for_warning="5m", for_critical="5m",
        summary="The sync server's host is running out of free RAM.",
        description="{{ $labels.instance }}'s host has {value} of RAM available (alert below {threshold}).",
    ),
]


def recording_rules(signal) -> list[dict]:
    default_limit = promql_number(signal("pm2_memory").params["default_limit_bytes"])
    return [
        # Summed over pm_id: a deleted and re-created process's restarts still count.
        {"record": RESTARTS_1H, "expr": "sum without (pm_id) (round(increase(pm2_process_restarts_total[1h])))"},
        {"record": RESTARTS_1D, "expr": "sum without (pm_id) (round(increase(pm2_process_restarts_total[1d])))"},
        # `or` keeps PM2's own limit where it has one and the default elsewhere.
        {"record": MEMORY_RATIO,
         "expr": "max without (pm_id) (\n  pm2_process_memory_bytes / on(instance, job, name, pm_id) (\n"
                 "      pm2_process_memory_limit_bytes > 0\n"
                 f"    or pm2_process_memory_bytes * 0 + {default_limit}\n  )\n)"},
        {"record": API_ERRORS_PER_MINUTE, "expr": "rate(pm2_sync_api_errors_total[5m]) * 60"},
        {"record": WATCHDOG_RESTARTS_1H, "expr": "round(increase(pm2_watchdog_restarts_total[1h]))"},
        {"record": WATCHDOG_GAVE_UP_15M,
         "expr": 'sum without (reason) (round(increase(pm2_watchdog_throttled_total{reason="rate_limited"}[15m])))'},
    ]


def conditions(signal, severity: str, boundary: str) -> str | None:
    if signal.key == "pm2_sync_api_errors":
        # Compared as a count, exact where `rate() * 60 > 5` is not: 25 errors in 5m is
        # 5.000000000000001/min in floating point, but an increase of exactly 25.
        # `boundary * 5` stays visible (the boundary per minute, times the window's minutes).
        return (f"{API_ERRORS_PER_MINUTE}\nand on(instance, job) increase(pm2_sync_api_errors_total[5m]) > {boundary} * 5")
    return None
