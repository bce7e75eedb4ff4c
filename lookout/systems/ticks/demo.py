"""The tick collector's hooks for the native demo (lookout/demo/hooks.py lists them): its rate
window and fast thresholds, and the container restart lookout-remediate may take."""
from __future__ import annotations

CONTAINER = "tick-collector"  # its container in the demo's own Docker engine (target.py)

PROFILES = {
    "real": {"settings": {"window_seconds": 300}},  # the exporter's rate window
    "fast": {
        # 30 s, not 5 m / 60: a collector restart leaves a gap of a few seconds that no profile
        # compresses (Docker, Python's start-up, the database connection), which would read as a
        # low rate in a shorter window; TickRateLow's 30m hold-downs (30 s here) outlast it.
        "settings": {"window_seconds": 30},
        "thresholds": {
            # Seconds of age are thresholds, not windows: compressed by hand.
            "ticks_last_tick_age": {"warning": 8, "critical": 20},  # TicksStale: 300 s / 600 s in production
            # In production TickRateLow's `for` (5m) is as long as the exporter's rate window (5m),
            # so a filling window (a fresh table, a restart's gap) never fires it. The fast window
            # is 30 s (settings above), so its `for` is 30 s too, not 5 s.
            "ticks_rate": {"for_warning": "30s", "for_critical": "30s"},
        },
        "window_floors": {
            # Docker's restart back-off runs in real time: 100 ms doubling to a minute, reset
            # by a run of 10 s or more (moby's restartmanager). A crash loop restarts at most
            # every ~10 s, so the 60 s a compressed hour would give never holds the 11 restarts
            # of CollectorRestarting's critical boundary (catalog: > 10/h); 3 minutes does,
            # at the collector-crashloop scenario's ~12 s cycle.
            "ticks:container_restarts:increase1h": 180,
        },
    },
}


def remediation(stack) -> dict:
    """Runbook 002's watchdog: restart the collector's container when ticks stop or Docker calls
    it unhealthy. Without Docker the collector is a plain process: nothing to restart through the API."""
    if stack.engine is None:
        return {}
    return {"actions": {"restart-collector": {"type": "docker_restart", "alerts": ["TicksStale", "CollectorUnhealthy"],
                                              "target": CONTAINER, "timeout_seconds": 30}}}
