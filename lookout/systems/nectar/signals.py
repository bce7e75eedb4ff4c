"""Nectar, the Cardano indexer, on TiDB (runbooks 000 and 001).

Numbers from the runbooks: "no database disconnections for 24+ hours", memory "should
stabilize around 60-80GB" under GOMEMLIMIT=100GiB, ">100 blocks/sec in Alonzo",
ConnectionRecovery's 10 reconnection attempts, "check for lock contention: SHOW PROCESSLIST".
"""
from __future__ import annotations

from lookout.alert_rules.model import Signal, effects
from lookout.alert_rules.units import promql_number

GiB = 1024**3
# The eras nectar_chain_era reports (lookout/systems/nectar/exporter/eras.py); each may get its own
# minimum sync speed in thresholds.yml under nectar_sync_speed.per_era.
ERAS = ("byron", "shelley", "allegra", "mary", "alonzo", "babbage", "conway")

BLOCKS_PER_SECOND = "nectar:chain_block:deriv15m"
ERA_MIN_BLOCKS_PER_SECOND = "nectar:chain_era:min_blocks_per_second"
RECONNECTS_15M = "nectar:reconnect_episodes:increase15m"
DROPPED_15M = "nectar:blocks_dropped:increase15m"

SIGNALS = [
    Signal(
        key="nectar_database_up", system="nectar", alert="NectarDatabaseDown",
        expr="nectar_up", unit="short", direction="below", warning=None, critical=1,
        for_critical="1m", role="down",
        # The collectors that query TiDB (lookout/systems/nectar/exporter: the "ping" probe that is nectar_up
        # itself, chain.py, processlist.py, server.py); the process and log collectors still
        # work without it.
        # Held for each effect's own window after the database is back: the reconnect
        # episodes (15m) and give-ups (1h) Nectar logged during the outage, and the slow
        # 15m block rate, are this outage, not a new fault (catalog, Routing).
        explains=(*effects("NectarSyncStalled", "TiDBLongRunningQuery"),
                  *effects("NectarSyncSlow", hold="15m"), *effects("NectarReconnecting", hold="1h"),
                  # The restart that ends the outage is the outage's: up for less than 15m.
                  *effects("TiDBRestarted", hold="15m"),
                  *effects("ExporterCollectorFailing", where=('collector=~"ping|chain|processlist|server"',))),
        summary="The Nectar exporter cannot reach TiDB.",
        description="nectar_up is {value} on {{ $labels.instance }}: the exporter's queries to TiDB"
                    " have failed for a minute, so Nectar is most likely cut off from its database too.",
    ),
    Signal(
        key="tidb_uptime", system="nectar", alert="TiDBRestarted",
        expr="nectar_database_uptime_seconds", unit="s", direction="below", warning=900, critical=None,
        summary="TiDB restarted in the last 15 minutes.",
        description="TiDB behind {{ $labels.instance }} has been up for only {value} (below {threshold}):"
                    " it restarted, and Nectar had to reconnect.",
    ),
    Signal(
        # Blocks indexed in the last 2m; below 1 means the highest block has not moved.
        # The 10m `for` is the "not moved for 10m" of the catalog.
        key="nectar_sync_progress", system="nectar", alert="NectarSyncStalled",
        expr="delta(nectar_chain_block[2m])", unit="short", direction="below", warning=None, critical=1,
        for_critical="10m", role="symptom",
        when="on(instance, job) nectar_chain_lag_slots > ${min_lag_slots}",
        # Held for the 15m block-rate window: it still holds the stall after indexing resumes.
        params={"min_lag_slots": 3600}, explains=effects("NectarSyncSlow", hold="15m"),
        summary="Nectar's indexing has stalled while far behind the chain tip.",
        description="Nectar behind {{ $labels.instance }} has indexed no block for 10 minutes (last 2 minutes:"
                    " {value}) while more than ${min_lag_slots} slots behind the wall-clock tip.",
    ),
    Signal(
        # The boundary is per era: see ERA_MIN_BLOCKS_PER_SECOND; `warning` is the default
        # for every era not listed under params.per_era.
        key="nectar_sync_speed", system="nectar", alert="NectarSyncSlow",
        expr=BLOCKS_PER_SECOND, unit="short", direction="below", warning=100, critical=None,
        for_warning="30m", role="symptom",
        when="on(instance, job) nectar_chain_lag_slots > ${min_lag_slots}",
        params={"min_lag_slots": 86400, "per_era": dict.fromkeys(ERAS)},
        summary="Nectar is syncing slower than expected for its era.",
        description="Nectar behind {{ $labels.instance }} has averaged {value} blocks/s over 15 minutes, below"
                    " its era's minimum ({threshold} unless set per era), while more than ${min_lag_slots}"
                    " slots behind the tip.",
    ),
    Signal(
        key="nectar_memory", system="nectar", alert="NectarMemoryHigh",
        expr="nectar_process_resident_memory_bytes", unit="bytes", direction="above",
        warning=80 * GiB, critical=95 * GiB, inclusive=True, for_warning="10m", for_critical="5m",
        summary="Nectar's resident memory is high.",
        description="Nectar on {{ $labels.instance }} holds {value} of resident memory (alert at {threshold});"
                    " it should settle around 60-80 GiB under GOMEMLIMIT=100GiB.",
    ),
    Signal(
        key="nectar_memory_projection", system="nectar", alert="NectarMemoryGrowing",
        expr="predict_linear(nectar_process_resident_memory_bytes[6h], 86400)", unit="bytes",
        direction="above", warning=100 * GiB, critical=None, for_warning="1h",
        summary="Nectar's memory is on course to pass its limit within a day.",
        description="At the last 6 hours' trend Nectar on {{ $labels.instance }} will hold {value} in 24 hours,"
                    " past {threshold}: the pattern of the leak that preceded the last crash.",
    ),
    Signal(
        key="nectar_process_up", system="nectar", alert="NectarProcessDown",
        expr="nectar_process_up", unit="short", direction="below", warning=None, critical=1,
        for_critical="2m", role="down",
        explains=(*effects("NectarSyncStalled"), *effects("NectarSyncSlow", hold="15m"),
                  *effects("NectarReconnecting", hold="1h")),
        summary="The Nectar process is not running.",
        description="nectar_process_up is {value} on {{ $labels.instance }}: the watched Nectar process"
                    " has not been running for 2 minutes.",
    ),
    Signal(
        key="nectar_reconnects", system="nectar", alert="NectarReconnecting",
        expr=RECONNECTS_15M, unit="short", direction="above", warning=3, critical=None, inclusive=True,
        # The catalog gives no `for`; 1m, NectarDatabaseDown's, so that a database outage
        # is already firing (and inhibiting this) when the reconnects reach chat.
        for_warning="1m", role="symptom",
        summary="Nectar keeps reconnecting to TiDB.",
        description="Nectar behind {{ $labels.instance }} logged {value} database reconnections in 15 minutes"
                    " (alert at {threshold}).",
    ),
    Signal(
        key="nectar_reconnect_giveups", system="nectar", alert="NectarReconnecting",
        expr="round(increase(nectar_reconnect_giveups_total[1h]))",
        unit="short", direction="above", warning=None, critical=1, inclusive=True,
        for_critical="1m", role="symptom",  # 1m: as above, the database page comes first
        summary="Nectar gave up reconnecting to TiDB.",
        description="Nectar behind {{ $labels.instance }} exhausted its reconnection attempts {value} time(s)"
                    " in the last hour; it will not recover without a restart.",
    ),
    Signal(
        # Issue 21: a block a worker gave up on is not indexed, and Nectar resumes from its
        # highest slot, so the gap stays: data lost until someone re-syncs, so a page. Any
        # dropped block counts (the runbooks give no number; one block is a hole in the
        # chain). Not while the database was down in the window: NectarDatabaseDown paged
        # for that outage, and its losses would otherwise page again after it mended.
        key="nectar_blocks_dropped", system="nectar", alert="NectarBlocksDropped",
        expr=DROPPED_15M, unit="short", direction="above", warning=None, critical=0,
        when="on(instance, job) min_over_time(nectar_up[15m]) == 1",
        summary="Nectar dropped blocks it could not process.",
        description="Nectar behind {{ $labels.instance }} gave up on {value} blocks in the last 15 minutes"
                    " ('failed to process block at slot N after K attempts'); they are not indexed.",
    ),
    Signal(
        key="tidb_oldest_query", system="nectar", alert="TiDBLongRunningQuery",
        expr="nectar_processlist_oldest_query_seconds", unit="s", direction="above",
        warning=60, critical=300, for_warning="2m", for_critical="2m", role="symptom",
        summary="A statement has been running on TiDB for a long time.",
        description="The oldest non-idle statement on the TiDB behind {{ $labels.instance }} has run for"
                    " {value} (alert at {threshold}); check for lock contention.",
    ),
]


def recording_rules(signal) -> list[dict]:
    """`signal(key)` gives the effective (overridden) signal."""
    speed = signal("nectar_sync_speed")
    per_era = {era: v for era, v in speed.params["per_era"].items() if v is not None}
    # One term per era, each the 0/1 state times that era's minimum; the sum is the
    # minimum of the current era (others contribute 0).
    terms = [f'nectar_chain_era{{nectar_chain_era="{era}"}} * {promql_number(per_era.get(era, speed.warning))}'
             for era in ERAS]
    return [
        {"record": BLOCKS_PER_SECOND, "expr": "deriv(nectar_chain_block[15m])"},
        {"record": ERA_MIN_BLOCKS_PER_SECOND,
         "expr": "sum without (nectar_chain_era) (\n    " + "\n  or ".join(terms) + "\n)"},
        {"record": RECONNECTS_15M,
         "expr": "round(increase(nectar_reconnect_episodes_total[15m]))"},
        {"record": DROPPED_15M, "expr": "round(increase(nectar_blocks_dropped_total[15m]))"},
    ]


def conditions(signal, severity: str, boundary: str) -> str | None:
    """The alert expression where a plain `expr op boundary` does not fit."""
    if signal.key == "nectar_sync_speed":
        return f"{BLOCKS_PER_SECOND} < on(instance, job) {ERA_MIN_BLOCKS_PER_SECOND}"
    return None
