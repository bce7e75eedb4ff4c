"""The RSS sync server under PM2: is every process online and inside its memory limit, and
is the sync keeping up?"""
from __future__ import annotations

from lookout.dashboards import panels as P
from lookout.dashboards.common import drill_down, state_colours, UP_DOWN, describe, graph, signal, tags, tile, wall_tile
from lookout.dashboards.promql import stateset_index
from lookout.dashboards.vocabulary import constant

UID = "lookout-sync-server"
LINK = drill_down(UID, "Sync server (PM2)")
STATES = constant("pm2/processes", "STATES")
# The health JSON's `status` and each dependency's (server/lib/sync-health-check.js).
HEALTH_STATES = constant("pm2/health", "STATUSES")
HEALTH_COLOURS = {"healthy": "green", "degraded": "yellow", "unhealthy": "red", "unknown": "text"}
HEALTH = stateset_index("pm2_sync_health_status", list(HEALTH_STATES), by=("instance",))
DEPENDENCIES = stateset_index("pm2_sync_dependency_status", list(HEALTH_STATES), by=("instance", "dependency"))
# A colour for every state the exporter reports; a new state fails generation until it has one.
STATE_COLOURS = {"online": "green", "stopping": "orange", "stopped": "red", "launching": "blue",
                 "errored": "red", "one_launch_status": "blue", "waiting_restart": "orange"}
# A process by its name: PM2 gives a re-created process a new pm_id (runbook 003's delete +
# start), and the alert rules count per name (issue 13), so rows and series join on it.
PROCESS = ("instance", "name")
STATUS = stateset_index("pm2_process_status", list(STATES), by=PROCESS)


def wall_tiles() -> list:
    """The sync server's row of the wall screen: PM2's processes, their memory, the sync."""
    return [
        wall_tile("pm2_restarts", "Restarts/h", LINK, decimals=0),
        wall_tile("pm2_memory", "Memory / limit", LINK),
        wall_tile("pm2_process_up", "Processes", LINK, states=UP_DOWN),
        wall_tile("pm2_sync_queue_depth", "Queue depth", LINK, decimals=0),
        wall_tile("pm2_sync_api_errors", "API errors/min", LINK),
        wall_tile("pm2_host_memory_available", "Host RAM free", LINK),
    ]


def build():
    status_states = state_colours(STATES, STATE_COLOURS)
    health_states = state_colours(HEALTH_STATES, HEALTH_COLOURS)
    processes = P.row(
        "PM2 processes",
        P.table("Processes", [
            ("Status", STATUS, "none"),
            ("Restarts/h", signal("pm2_restarts").expr, "short"),
            ("Restarts/24h", signal("pm2_restart_budget").expr, "short"),
            ("Memory", "pm2_process_memory_bytes", "bytes"),
            ("max_memory_restart", "pm2_process_memory_limit_bytes", "bytes"),
            ("Memory / limit", signal("pm2_memory").expr, "percentunit"),
            ("Heap used", "pm2_process_heap_usage_ratio", "percentunit"),
            ('Event loop p95', 'pm2_process_event_loop_latency_seconds{quantile="0.95"}', "s"),
            ("CPU (cores)", "pm2_process_cpu_ratio", "none"),
            ("Uptime", "pm2_process_uptime_seconds", "s"),
        ], keep=PROCESS, signals={"Restarts/h": signal("pm2_restarts"),
                                  "Restarts/24h": signal("pm2_restart_budget"),
                                  "Memory / limit": signal("pm2_memory")},
            states={"Status": status_states}, w=24, h=7),
        P.state_timeline("Status", [(STATUS, "{{name}}")], states=status_states, w=12, h=6),
        graph("pm2_restarts", "Restarts/h", legend="{{name}}", w=12, h=6),
        P.timeseries("Memory against max_memory_restart",
                     [("pm2_process_memory_bytes", "{{name}}"),
                      ("pm2_process_memory_limit_bytes", "limit {{name}}")],
                     unit="bytes", references=("^limit",), w=12),
        graph("pm2_memory", "Memory / limit", legend="{{name}}", w=12, lo=0),
        P.timeseries("Heap used and total",
                     [("pm2_process_heap_used_bytes", "used {{name}}"),
                      ("pm2_process_heap_total_bytes", "total {{name}}")],
                     unit="bytes", references=("^total",), w=12),
        P.timeseries("Event-loop latency", [("pm2_process_event_loop_latency_seconds",
                                             "{{name}} q{{quantile}}")], unit="s", w=12),
    )
    sync = P.row(
        "Sync",
        tile("pm2_daemon_up", "PM2 daemon", states=UP_DOWN, w=3),
        tile("pm2_sync_health_up", "Health endpoint", states=UP_DOWN, w=3),
        tile("pm2_sync_queue_depth", "Queue depth", w=3, decimals=0),
        tile("pm2_sync_api_errors", "API errors/min", w=3),
        tile("pm2_sync_duration", "Last sync took", w=3),
        tile("pm2_sync_degraded", "Degraded", legend="{{component}}", w=4,
             states=[P.State(0, "no", "green"), P.State(1, "DEGRADED", "yellow")]),
        P.stat("Health status", HEALTH, states=health_states, w=5),
        graph("pm2_sync_queue_depth", "Queue depth", w=8),
        graph("pm2_sync_api_errors", "API errors/min", w=8),
        graph("pm2_sync_duration", "Sync duration", w=8),
        P.state_timeline("Health and dependencies",
                         [(HEALTH, "server"), (DEPENDENCIES, "{{dependency}}")], states=health_states, w=12),
        P.timeseries("Sync queue (sync_queue_stats)",
                     [("pm2_sync_queue_pending", "pending {{instance}}"),
                      ("pm2_sync_queue_retry_pending", "retry pending {{instance}}"),
                      ("pm2_sync_queue_failed", "failed {{instance}}")], unit="none", w=12),
        P.timeseries("Syncs per minute (from its log)",
                     [("rate(pm2_sync_completed_total[5m]) * 60", "completed {{instance}}"),
                      ("rate(pm2_sync_api_errors_total[5m]) * 60", "batch failed {{instance}}")],
                     unit="none", w=12),
        P.timeseries("Since last activity", [("time() - pm2_sync_last_activity_timestamp_seconds", "{{instance}}")],
                     unit="s", w=6),
        P.timeseries("Errors in the last hour (health JSON)", [("pm2_sync_recent_errors", "{{instance}}")],
                     unit="none", w=6),
    )
    watchdog = P.row(
        "Host watchdog (rss-services-monitor)",
        tile("pm2_watchdog_restarts", "Watchdog restarts/h", legend="{{service}}", w=6, decimals=0),
        tile("pm2_watchdog_gave_up", "Restarts refused (15m)", legend="{{service}}", w=6, decimals=0),
        graph("pm2_watchdog_restarts", "Watchdog restarts/h (decisions, not crashes)", legend="{{service}}", w=12,
              extra=[(signal("pm2_restarts").expr, "all PM2 restarts {{name}}")]),
    )
    host = P.row(
        "Host",
        tile("pm2_host_memory_available", "Available memory", w=6, h=6),
        graph("pm2_host_memory_available", "Available memory", legend="available {{instance}}", w=9, h=6,
              extra=[("pm2_host_memory_total_bytes", "total {{instance}}")], references=("^total",)),
        P.timeseries("Swap used", [("pm2_host_swap_used_bytes", "{{instance}}")], unit="bytes", w=9, h=6),
    )
    return P.dashboard(
        UID, "Lookout / Sync server (PM2)", [processes, sync, watchdog, host],
        description=describe(__name__, "RSS sync server under PM2: processes, memory limits, sync queue, host memory."),
        tags=tags("pm2"), variables=P.job_instance_variables("pm2_up"), scoped=True,
        links=P.dashboard_links("lookout"),
    )
