"""Nectar, the Cardano indexer on TiDB: is it catching up with the chain, and is its
database or its memory about to stop it?"""
from __future__ import annotations

from lookout.systems.nectar.signals import ERA_MIN_BLOCKS_PER_SECOND

from lookout.dashboards import panels as P
from lookout.dashboards.common import drill_down, UP_DOWN, describe, graph, guarded, signal, tags, tile, wall_stat, wall_tile, worst
from lookout.dashboards.vocabulary import constant

UID = "lookout-nectar"
LINK = drill_down(UID, "Nectar")
ERAS = constant("nectar/eras", "ERAS")
# The era index nectar_chain_era_index reports, named; the colour only tells eras apart.
ERA_STATES = [P.State(i, era.capitalize(), "blue") for i, era in enumerate(ERAS)]
ETA = ("nectar_chain_lag_slots / (rate(nectar_chain_slot[15m]) - rate(nectar_chain_tip_slot[15m]) > 0)")


def wall_tiles() -> list:
    """Nectar's row of the wall screen: is it catching up, and is anything about to stop it?"""
    return [
        wall_stat("Sync lag (slots)", "max (nectar_chain_lag_slots)", LINK, decimals=0),
        wall_tile("nectar_sync_speed", "Blocks/s vs era target", LINK,
                  expr=worst("nectar_sync_speed", guarded("nectar_sync_speed")), no_value="near tip"),
        wall_stat("Era", "max (nectar_chain_era_index)", LINK, states=ERA_STATES),
        wall_tile("nectar_memory", "Memory", LINK),
        wall_tile("nectar_database_up", "TiDB", LINK, states=UP_DOWN),
        wall_tile("tidb_oldest_query", "Oldest query", LINK),
    ]


def build():
    progress = P.row(
        "Progress",
        P.stat("Indexed slot", "nectar_chain_slot", w=4, decimals=0),
        P.stat("Wall-clock tip", "nectar_chain_tip_slot", w=4, decimals=0),
        P.stat("Lag (slots)", "nectar_chain_lag_slots", w=4, decimals=0),
        P.stat("Era", "nectar_chain_era_index", states=ERA_STATES, w=3),
        P.stat("Epoch", "nectar_chain_epoch", w=3, decimals=0),
        P.stat("ETA to tip", ETA, unit="s", w=3, no_value="not closing in",
               description="Lag divided by how fast it shrinks (15m rates); blank while it is not shrinking."),
        tile("nectar_sync_speed", "Blocks/s (15m)", expr=guarded("nectar_sync_speed"), w=3,
             no_value="near tip", description="Coloured only while far enough behind for NectarSyncSlow to apply."),
        P.timeseries("Slot: indexed and wall-clock tip",
                     [("nectar_chain_slot", "indexed {{instance}}"), ("nectar_chain_tip_slot", "tip {{instance}}")],
                     unit="none", references=("^tip",), w=12),
        P.timeseries("Block height", [("nectar_chain_block", "{{instance}}")], unit="none", w=12),
        graph("nectar_sync_speed", "Blocks/s against the era target", legend="blocks/s {{instance}}",
              extra=[(ERA_MIN_BLOCKS_PER_SECOND, "era target {{instance}}")], references=("^era target",),
              description="The era target is the per-era minimum of thresholds.yml (recording rule).", w=12),
        P.timeseries("Lag (slots)", [("nectar_chain_lag_slots", "{{instance}}")], unit="none", w=6),
        P.timeseries("ETA to tip", [(ETA, "{{instance}}")], unit="s", w=6),
    )
    tidb = P.row(
        "TiDB",
        tile("nectar_database_up", "TiDB reachable", states=UP_DOWN, w=4),
        tile("tidb_uptime", "TiDB uptime", w=4),
        P.stat("TiDB restarts (24h)", "changes(nectar_database_start_time_seconds[24h])", w=4, decimals=0),
        tile("tidb_oldest_query", "Oldest statement", w=4),
        P.stat("Connections", "sum by (instance) (nectar_processlist_connections)", w=4, decimals=0),
        P.stat("Blocks in 2m", guarded("nectar_sync_progress"), w=4, decimals=0, no_value="near tip"),
        P.timeseries("Processlist by state",
                     [("sum by (state) (nectar_processlist_connections)", "{{state}}")],
                     unit="none", stacked=True, w=12),
        graph("tidb_oldest_query", "Oldest non-idle statement", w=12),
    )
    process = P.row(
        "Nectar process",
        tile("nectar_process_up", "Nectar running", states=UP_DOWN, w=4),
        tile("nectar_memory", "Resident memory", w=4),
        tile("nectar_memory_projection", "Memory in 24h (6h trend)", w=4),
        tile("nectar_reconnects", "Reconnects (15m)", w=4, decimals=0),
        tile("nectar_reconnect_giveups", "Reconnect give-ups (1h)", w=4, decimals=0),
        P.stat("Threads", "nectar_process_threads", w=2, decimals=0),
        P.stat("Open fds", "nectar_process_open_fds", w=2, decimals=0),
        graph("nectar_memory", "Resident memory against 80/95 GiB", legend="RSS {{instance}}", w=12,
              extra=[(signal("nectar_memory_projection").expr, "24h projection {{instance}}")],
              references=("projection",)),
        graph("nectar_reconnects", "Reconnections (15m)", legend="reconnects {{instance}}", bars=True, w=12,
              extra=[("increase(nectar_reconnect_giveups_total[15m])", "give-ups {{instance}}")]),
        P.timeseries("CPU (cores)", [("rate(nectar_process_cpu_seconds_total[5m])", "{{instance}}")],
                     unit="none", w=12),
        P.timeseries("Log events per minute", [("sum by (event) (rate(nectar_log_events_total[5m])) * 60", "{{event}}")],
                     unit="none", w=12),
        tile("nectar_blocks_dropped", "Blocks dropped (15m)", w=6, decimals=0),
        graph("nectar_blocks_dropped", "Blocks dropped (15m): not indexed", w=18, bars=True),
    )
    return P.dashboard(
        UID, "Lookout / Nectar", [progress, tidb, process],
        description=describe(__name__, "Nectar indexer on TiDB: sync progress, TiDB, memory, reconnections."),
        tags=tags("nectar"), variables=P.job_instance_variables("nectar_up"), scoped=True,
        links=P.dashboard_links("lookout"),
    )
