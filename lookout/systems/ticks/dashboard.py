"""The ETH option tick collector on TimescaleDB and Docker: are ticks arriving, and is the
container, its database connection or its disk about to stop them?"""
from __future__ import annotations

from lookout.dashboards import panels as P
from lookout.dashboards.common import drill_down, state_colours, UP_DOWN, describe, graph, tags, tile, wall_tile
from lookout.dashboards.promql import stateset_index
from lookout.dashboards.vocabulary import constant

UID = "lookout-ticks"
LINK = drill_down(UID, "Tick collector")
STATUSES = constant("ticks/containers", "STATUSES")
HEALTH = constant("ticks/containers", "HEALTH")
# Every state the exporter reports must get a colour here: a KeyError at generation time
# is the reminder when the exporter learns a new one.
STATUS_COLOURS = {"created": "blue", "running": "green", "paused": "yellow", "restarting": "orange",
                  "removing": "orange", "exited": "red", "dead": "red"}
HEALTH_COLOURS = {"starting": "blue", "healthy": "green", "unhealthy": "red", "none": "text"}
OOM = [P.State(0, "no", "green"), P.State(1, "OOM killed", "red")]
RUNNING = [P.State(0, "DOWN", "red"), P.State(1, "RUNNING", "green")]


def wall_tiles() -> list:
    """The tick collector's row of the wall screen: are ticks arriving, is the container well?"""
    return [
        wall_tile("ticks_rate", "Ticks/min", LINK, decimals=0),
        wall_tile("ticks_last_tick_age", "Last tick", LINK),
        wall_tile("ticks_restarts", "Restarts/h", LINK, decimals=0),
        wall_tile("ticks_container_memory", "Memory / limit", LINK),
        wall_tile("ticks_errors", "Errors/h", LINK, decimals=0),
        wall_tile("ticks_database_up", "TimescaleDB", LINK, states=UP_DOWN),
    ]


def build():
    ticks = P.row(
        "Ticks",
        tile("ticks_rate", "Ticks/min", legend="{{table}}", w=8, h=5, decimals=0),
        tile("ticks_last_tick_age", "Last tick age", legend="{{table}}", w=8, h=5),
        P.stat("Active instruments", [("ticks_table_active_instruments", "{{table}}")], w=8, h=5,
               text_mode="value_and_name", decimals=0),
        graph("ticks_rate", "Ticks/min against the catalog's boundaries", legend="{{table}}", w=12),
        graph("ticks_last_tick_age", "Last tick age", legend="{{table}}", w=12),
    )
    container = P.row(
        "Container",
        tile("ticks_container_running", "Running", legend="{{container}}", states=RUNNING, w=4),
        tile("ticks_restarts", "Restarts/h", legend="{{container}}", w=4, decimals=0),
        tile("ticks_container_oom_killed", "Last exit", legend="{{container}}", states=OOM, w=4),
        tile("ticks_container_memory", "Memory / limit", legend="{{container}}", w=4),
        tile("ticks_container_unhealthy", "Unhealthy", legend="{{container}}",
             states=[P.State(0, "no", "green"), P.State(1, "UNHEALTHY", "red")], w=4),
        P.stat("Exit code", [("ticks_container_exit_code", "{{container}}")], w=4, text_mode="value_and_name"),
        P.state_timeline("Status", [(stateset_index("ticks_container_status", list(STATUSES), by=("container",)),
                                     "{{container}}")], states=state_colours(STATUSES, STATUS_COLOURS), w=12, h=5),
        P.state_timeline("Health", [(stateset_index("ticks_container_health", list(HEALTH), by=("container",)),
                                     "{{container}}")], states=state_colours(HEALTH, HEALTH_COLOURS), w=12, h=5),
        P.timeseries("Memory against the limit",
                     [("ticks_container_memory_usage_bytes", "usage {{container}}"),
                      ("ticks_container_memory_limit_bytes", "limit {{container}}")],
                     unit="bytes", references=("^limit",), w=8),
        graph("ticks_container_memory", "Memory / limit", legend="{{container}}", w=8, lo=0, hi=1),
        graph("ticks_restarts", "Restarts/h", legend="{{container}}", w=8),
    )
    logs = P.row(
        "Errors and reconnects (from the collector's log)",
        tile("ticks_errors", "Errors/h", legend="{{container}}", w=6, decimals=0),
        tile("ticks_reconnects", "Reconnects/h", legend="{{container}}", w=6, decimals=0),
        P.stat("Ticks in last STATS line", [("ticks_log_reported_ticks", "{{container}}")], w=6,
               text_mode="value_and_name", decimals=0),
        tile("ticks_database_up", "TimescaleDB reachable", states=UP_DOWN, w=6),
        graph("ticks_errors", "Errors/h", legend="{{container}}", w=12),
        graph("ticks_reconnects", "Reconnects/h", legend="{{container}}", w=12),
        P.timeseries("Buffer fill (last STATS line)",
                     [("ticks_collector_buffer_utilization_ratio", "{{container}} {{buffer}}")],
                     unit="percentunit", lo=0, hi=1, w=12,
                     description="Q quotes, T trades, D depth: the collector's in-memory buffers."),
        P.timeseries('"No ticks received" warnings/h',
                     [("increase(ticks_collector_no_tick_warnings_total[1h])", "{{container}}")], unit="none", w=12,
                     description="The collector's own heartbeat: no tick for longer than its timeout."),
    )
    loss = P.row(
        "Data lost (from the collector's log)",
        tile("ticks_data_lost", "Flushes lost (15m)", legend="{{container}}", w=6, decimals=0),
        graph("ticks_data_lost", "Flushes lost (15m)", legend="{{container}}", w=9, bars=True),
        P.timeseries("Rows lost/h (a lower bound)",
                     [("sum by (container, kind) (increase(ticks_collector_rows_lost_total[1h]))",
                       "{{container}} {{kind}}")], unit="none", w=9,
                     description='"Failed to write N <kind> after 3 attempts" and "Emergency buffer clear" lines.'),
    )
    disk = P.row(
        "Disk",
        tile("ticks_disk_usage", "Disk used", legend="{{path}}", w=6, h=6),
        graph("ticks_disk_usage", "Disk used", legend="{{path}}", w=9, h=6, lo=0, hi=1),
        P.timeseries("Disk used and size", [("ticks_disk_used_bytes", "used {{path}}"),
                                            ("ticks_disk_size_bytes", "size {{path}}")],
                     unit="bytes", references=("^size",), w=9, h=6),
    )
    return P.dashboard(
        UID, "Lookout / Tick collector", [ticks, container, logs, loss, disk],
        description=describe(__name__, "ETH option tick collector: tick flow, container, log errors, disk."),
        tags=tags("ticks"), variables=P.job_instance_variables("ticks_up"), scoped=True,
        links=P.dashboard_links("lookout"),
    )
