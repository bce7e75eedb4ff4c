"""Nectar's demo scenarios replayed at production timing (tests/alerts/incidents.py builds
the checks and gathers REPLAYS from every system): what scenarios.py promises, held against
the generated rules by promtool."""
from __future__ import annotations

from tests.alerts.incidents import checks, fires, lost_once, quiet, STEP, values

NECTAR = 'instance="nectar-exporter:9101",job="nectar"'


def tidb_down(outage_s: int, name: str) -> dict:
    """TiDB down from minute 5 for `outage_s`; Nectar logs a reconnect episode per attempt
    run (ConnectionRecovery: 10 attempts, then a give-up, a pause, again)."""
    n = (5 * 60 + outage_s + 90 * 60) // STEP
    up, episodes, giveups = [], [], []
    e = g = 0
    for i in range(n):
        t = i * STEP
        down = 300 <= t < 300 + outage_s
        up.append(0 if down else 1)
        if down and (t - 300) % 60 == 0:
            e += 1          # one episode per recovery run (catalog: one per outage run)
        if down and (t - 300) % 60 == 45:
            g += 1          # the run gave up after its 10 attempts
        episodes.append(e)
        giveups.append(g)
    return {"name": name, "interval": f"{STEP}s", "input_series": [
        {"series": f"nectar_up{{{NECTAR}}}", "values": values(up)},
        {"series": f"nectar_reconnect_episodes_total{{{NECTAR}}}", "values": values(episodes)},
        {"series": f"nectar_reconnect_giveups_total{{{NECTAR}}}", "values": values(giveups)},
    ], "alert_rule_test": checks({"NectarReconnecting": {}}, range(0, n * STEP // 60, 1)) + (
        # nectar_up < 1 for 1m: firing 5 minutes in; resolved as soon as it is back.
        [fires("NectarDatabaseDown", 600, 0, NECTAR), *quiet("NectarDatabaseDown", 300 + outage_s, n * STEP)]
        if outage_s > 5 * 60 else quiet("NectarDatabaseDown", 0, n * STEP))}


def nectar_stall() -> dict:
    """Indexing stops for 40 minutes, far behind the tip (more than 86400 slots), then resumes
    at 150 blocks/s: NectarSyncStalled pages; NectarSyncSlow, whose 15-minute block rate still
    holds the stall after it resumes, never fires."""
    n = 3 * 3600 // STEP
    block, lag = [], []
    b = 6_000_000.0
    for i in range(n):
        t = i * STEP
        if not 600 <= t < 600 + 40 * 60:
            b += 150 * STEP
        block.append(b)
        lag.append(5_000_000)  # slots behind the wall-clock tip: far behind throughout
    return {"name": "nectar-stall 40 min at production timing: NectarSyncStalled, never NectarSyncSlow",
            "interval": f"{STEP}s", "input_series": [
                {"series": f"nectar_chain_block{{{NECTAR}}}", "values": values(block)},
                {"series": f"nectar_chain_lag_slots{{{NECTAR}}}", "values": values(lag)},
                {"series": f'nectar_chain_era{{nectar_chain_era="alonzo",{NECTAR}}}', "values": values([1] * n)}],
            "alert_rule_test": checks({"NectarSyncSlow": {}}, range(0, n * STEP // 60)) + [
                # No block in 2 minutes from 11 min 45 s, for 10m: firing from 21 min 45 s;
                # the first new block (minute 50) ends it.
                fires("NectarSyncStalled", 30 * 60, 0, NECTAR), *quiet("NectarSyncStalled", 3000, n * STEP)]}


REPLAYS = {
    "tidb-down": lambda: [tidb_down(20 * 60, "tidb-down held 20 min at production timing: never the reconnects or the"
                                             " give-up, also after the database is back"),
                          tidb_down(45, "tidb-down for 45 s (shorter than `for`): nothing fires")],
    "nectar-stall": lambda: [nectar_stall()],
    "nectar-blocks-dropped": lambda: [lost_once("nectar_blocks_dropped_total", f"nectar_up{{{NECTAR}}}", NECTAR,
                                                "NectarBlocksDropped", "one dropped block")],
}
