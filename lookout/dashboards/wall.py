"""The wall screen: one row of big tiles per system and one for Lookout, each tile the worst
value across everything watched, coloured by the alert catalog; the alerts firing now.
Readable across a room: no graphs, no legends, large text, refreshed every 15 s, and nothing
to click in kiosk mode (the tiles link to each system's dashboard)."""
from __future__ import annotations

from lookout.exporters.nectar.eras import ERAS

from . import panels as P
from .common import UID, UP_DOWN, describe, drill_down, guarded, tags, tile, worst

MODULE = "wall"
VALUE_SIZE = 44   # px: legible from across a room on a 1080p screen, still fits a 4x4 tile
REFRESH = "15s"
FIRING = 'ALERTS{alertstate="firing"}'
# When each firing alert became active, in ms for Grafana's "time ago" unit.
FIRING_SINCE = f'1000 * (ALERTS_FOR_STATE and ignoring(alertstate) {FIRING})'
SEVERITY = [P.State("critical", "critical", "red"), P.State("warning", "warning", "yellow")]


def big(key: str, title: str, module: str, expr: str | None = None, **kw):
    """A wall tile: the worst value of the signal, large, linking to the system's dashboard."""
    kw.setdefault("w", 4)
    kw.setdefault("text_mode", "value")
    return tile(key, title, expr=expr or worst(key), value_size=VALUE_SIZE,
                links=drill_down(module, title), **kw)


def build():
    nectar = P.row(
        "Nectar",
        P.stat("Sync lag (slots)", "max (nectar_chain_lag_slots)", w=4, value_size=VALUE_SIZE, decimals=0,
               text_mode="value", links=drill_down("nectar", "Nectar")),
        big("nectar_sync_speed", "Blocks/s vs era target", "nectar",
            expr=worst("nectar_sync_speed", guarded("nectar_sync_speed")), no_value="near tip"),
        P.stat("Era", "max (nectar_chain_era_index)", w=4, value_size=VALUE_SIZE, text_mode="value",
               states=[P.State(i, era.capitalize(), "blue") for i, era in enumerate(ERAS)],
               links=drill_down("nectar", "Nectar")),
        big("nectar_memory", "Memory", "nectar"),
        big("nectar_database_up", "TiDB", "nectar", states=UP_DOWN),
        big("tidb_oldest_query", "Oldest query", "nectar"),
    )
    ticks = P.row(
        "Tick collector",
        big("ticks_rate", "Ticks/min", "ticks", decimals=0),
        big("ticks_last_tick_age", "Last tick", "ticks"),
        big("ticks_restarts", "Restarts/h", "ticks", decimals=0),
        big("ticks_container_memory", "Memory / limit", "ticks"),
        big("ticks_errors", "Errors/h", "ticks", decimals=0),
        big("ticks_database_up", "TimescaleDB", "ticks", states=UP_DOWN),
    )
    sync = P.row(
        "Sync server (PM2)",
        big("pm2_restarts", "Restarts/h", "sync_server", decimals=0),
        big("pm2_memory", "Memory / limit", "sync_server"),
        big("pm2_process_up", "Processes", "sync_server", states=UP_DOWN),
        big("pm2_sync_queue_depth", "Queue depth", "sync_server", decimals=0),
        big("pm2_sync_api_errors", "API errors/min", "sync_server"),
        big("pm2_host_memory_available", "Host RAM free", "sync_server"),
    )
    tburn = P.row(
        "TBURN",
        big("tburn_heap", "Heap", "tburn"),
        big("tburn_event_loop_lag", "Event-loop lag", "tburn"),
        big("tburn_error_ratio", "Error rate", "tburn"),
        big("tburn_latency_p99", "P99", "tburn"),
        big("tburn_memory_governor", "Governor", "tburn",
            states=[P.State(0, "normal", "green"), P.State(1, "DEFERRING", "yellow"), P.State(2, "CRITICAL", "red")]),
        big("tburn_up", "TBURN", "tburn", states=UP_DOWN),
    )
    lookout = P.row(
        "Lookout",
        big("exporter_up", "Exporters up", "lookout", w=5, h=6, states=UP_DOWN),
        big("exporter_collector_success", "Collectors OK", "lookout", w=5, h=6, states=UP_DOWN),
        P.table("Firing now", [("Since", FIRING_SINCE, "dateTimeFromNow")],
                keep=("severity", "alertname", "system", "instance"), states={"severity": SEVERITY},
                w=14, h=6, font_size="150%", no_value="Nothing firing",
                description="Prometheus's firing alerts (the ALERTS series), newest rules' labels."),
    )
    return P.dashboard(
        UID[MODULE], "Lookout / Wall screen", [nectar, ticks, sync, tburn, lookout],
        description=describe(MODULE, "The wall screen: every system at a glance, and what is firing."),
        tags=tags("wall"), refresh=REFRESH, time_from="now-30m", kiosk=True,
        links=P.dashboard_links("lookout"),
    )
