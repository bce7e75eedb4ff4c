"""Nectar's demo scenarios (lookout/demo/scenario.py says what a scenario promises)."""
from lookout.demo.scenario import Scenario

SCENARIOS = (
    Scenario("tidb-down", "nectar", "NectarDatabaseDown",
             "TiDB stops (killed); Nectar's writer starts its ConnectionRecovery. Only the database "
             "page should arrive: the stall and reconnect alerts are inhibited.", service="tidb",
             pages=("NectarDatabaseDown",)),
    Scenario("nectar-stall", "nectar", "NectarSyncStalled",
             "Nectar stops indexing while far behind the tip; its connection stays up.",
             target="nectar", fault="stall", pages=("NectarSyncStalled",)),
    # Issue 21: the data-loss signal, shown by a fault that mirrors the application's own lines.
    Scenario("nectar-blocks-dropped", "nectar", "NectarBlocksDropped",
             "A Nectar block worker gives blocks up on an error it does not retry (one every 10 s): they are"
             " not indexed. One page.",
             target="nectar", fault="drop-blocks", params={"every_seconds": 10}, pages=("NectarBlocksDropped",)),
)
