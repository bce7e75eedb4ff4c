"""The tick collector's demo scenarios (lookout/demo/scenario.py says what a scenario promises)."""
from lookout.demo.scenario import Scenario

SCENARIOS = (
    Scenario("ticks-stall", "ticks", "TicksStale",
             "The tick collector's WebSocket goes silent: no new ticks, the container keeps running.",
             target="ticks", fault="stall", pages=("TicksStale",), chat=("TicksStale",),
             # TicksStale critical carries remedy=restart-collector: the new process opens a new
             # WebSocket (the stall is cured by a restart), so the incident ends by itself. Where
             # the collector is a plain process (no Docker) the demo offers no such remedy.
             remedy="restart-collector"),
    Scenario("collector-crashloop", "ticks", "CollectorRestarting",
             "The collector dies ~10 s after each start and Docker keeps restarting it.",
             # Runs of 10 s or more reset Docker's back-off (moby restartmanager), so it restarts
             # every ~12 s: past 10 restarts in the fast profile's 3-minute window (demo.py).
             target="ticks", fault="crash-loop", params={"run_seconds": 10.5}, needs="docker",
             pages=("CollectorRestarting",), chat=("CollectorRestarting",)),
    # Issue 21: the data-loss signal, shown by a fault that mirrors the application's own lines.
    Scenario("tick-data-lost", "ticks", "TickDataLost",
             "The tick collector's database answers but a flush's writes fail 3 times: the flush is dropped"
             " and its ticks are lost for good (one every 10 s). One page; its ERROR lines are explained by it.",
             target="ticks", fault="write-failures", params={"every_seconds": 10}, pages=("TickDataLost",)),
)
