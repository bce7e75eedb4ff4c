"""How fast the demo's clock runs: intervals, alert timings, the targets' windows.

`real` uses the alert rules exactly as generated (alert_rules/*.yml) with a 15 s scrape:
what production sees, where NectarSyncStalled takes its full 10 minutes. `fast` is for
watching alerts fire and resolve in a demo or CI: 1 s scrapes and evaluations, and rules
generated from the catalog with the operator override mechanism (`for` divided by
`time_factor`, time-valued thresholds set below) and then, as a demo-only derivation, every
range window and `offset` divided the same way (`increase(...[1h])` becomes `[60s]`), never under
`min_window`. Both the thresholds and the windows are stated here, nowhere else.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Profile:
    name: str
    scrape_interval: float          # seconds
    evaluation_interval: float
    time_factor: float              # 1 = real time; 60 = an hour of rule time per minute
    min_for: float                  # seconds; a compressed `for` never goes below this
    min_window: float               # seconds; nor a compressed range window
    group_wait: str                 # Alertmanager, for every route
    group_interval: str
    repeat_interval: str
    ticks_window_seconds: float     # the ticks exporter's rate window
    pm2_worker_interval_ms: int     # how often PM2 checks max_memory_restart
    thresholds: dict = field(default_factory=dict)  # operator overrides (alert_rules/thresholds.yml format)
    # Recording rule -> the least its compressed windows may shrink to (seconds), where what
    # it counts runs on a clock the profile cannot compress.
    window_floors: dict = field(default_factory=dict)

    @property
    def compressed(self) -> bool:
        return self.time_factor != 1


REAL = Profile(
    name="real", scrape_interval=15, evaluation_interval=15, time_factor=1, min_for=0, min_window=0,
    group_wait="30s", group_interval="5m", repeat_interval="4h",
    ticks_window_seconds=300, pm2_worker_interval_ms=30000,
)

FAST = Profile(
    name="fast", scrape_interval=1, evaluation_interval=1, time_factor=60, min_for=3, min_window=5,
    group_wait="1s", group_interval="1s", repeat_interval="1h",
    # 30 s, not 5 m / 60: a collector restart leaves a gap of a few seconds that no profile
    # compresses (Docker, Python's start-up, the database connection), which would read as a
    # low rate in a shorter window; TickRateLow's 30m hold-downs (30 s here) outlast it.
    ticks_window_seconds=30, pm2_worker_interval_ms=1000,
    thresholds={
        # Seconds of age or uptime are thresholds, not windows: compressed by hand.
        "tidb_uptime": {"warning": 5},               # TiDBRestarted: up for less than 5 s
        "ticks_last_tick_age": {"warning": 8, "critical": 20},  # TicksStale: 300 s / 600 s in production
        # TburnMemoryGrowth compares hours, compressed to a minute; the TBURN simulator's GC
        # sawtooth runs in real time (about 70 s per cycle), so the compressed comparison swings
        # past +5% for up to ~30 s per cycle with no leak. Held longer than one cycle (each GC
        # brings growth below 0), only growth that outlasts GCs fires.
        "tburn_heap_growth": {"for_warning": "2m"},
        # In production TickRateLow's `for` (5m) is as long as the exporter's rate window (5m),
        # so a filling window (a fresh table, a restart's gap) never fires it. The fast window
        # is 30 s (ticks_window_seconds, below), so its `for` is 30 s too, not 5 s.
        "ticks_rate": {"for_warning": "30s", "for_critical": "30s"},
    },
    window_floors={
        # Docker's restart back-off runs in real time: 100 ms doubling to a minute, reset
        # by a run of 10 s or more (moby's restartmanager). A crash loop restarts at most
        # every ~10 s, so the 60 s a compressed hour would give never holds the 11 restarts
        # of CollectorRestarting's critical boundary (catalog: > 10/h); 3 minutes does,
        # at the collector-crashloop scenario's ~12 s cycle.
        "ticks:container_restarts:increase1h": 180,
    },
)

PROFILES = {p.name: p for p in (FAST, REAL)}
