"""How fast the demo's clock runs: intervals, alert timings, the targets' windows.

`real` uses the alert rules exactly as generated (alert_rules/*.yml) with a 15 s scrape:
what production sees, where a stall alert takes its full 10 minutes. `fast` is for
watching alerts fire and resolve in a demo or CI: 1 s scrapes and evaluations, and rules
generated from the catalog with the operator override mechanism (`for` divided by
`time_factor`, time-valued thresholds set by the systems) and then, as a demo-only derivation,
every range window and `offset` divided the same way (`increase(...[1h])` becomes `[60s]`), never
under `min_window`. The shared timings are stated here; each system states its own part of a
profile (thresholds, window floors, its target's settings) once, in its demo hooks
(`PROFILES` in lookout/systems/<key>/demo.py, lookout/demo/hooks.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .hooks import each, merged


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
    thresholds: dict = field(default_factory=dict)  # operator overrides (alert_rules/thresholds.yml format)
    # Recording rule -> the least its compressed windows may shrink to (seconds), where what
    # it counts runs on a clock the profile cannot compress.
    window_floors: dict = field(default_factory=dict)
    # System key -> the settings its demo target reads in this profile.
    settings: dict = field(default_factory=dict)

    @property
    def compressed(self) -> bool:
        return self.time_factor != 1


def systems_part(name: str) -> dict:
    """Profile fields from every system's `PROFILES[name]` (lookout/demo/hooks.py)."""
    parts = [(system, profiles.get(name, {})) for system, profiles in each("PROFILES")]
    return {"thresholds": merged([(s, p.get("thresholds", {})) for s, p in parts], "threshold override"),
            "window_floors": merged([(s, p.get("window_floors", {})) for s, p in parts], "window floor"),
            "settings": {s.key: p["settings"] for s, p in parts if "settings" in p}}


REAL = Profile(
    name="real", scrape_interval=15, evaluation_interval=15, time_factor=1, min_for=0, min_window=0,
    group_wait="30s", group_interval="5m", repeat_interval="4h", **systems_part("real"),
)

FAST = Profile(
    name="fast", scrape_interval=1, evaluation_interval=1, time_factor=60, min_for=3, min_window=5,
    group_wait="1s", group_interval="1s", repeat_interval="1h", **systems_part("fast"),
)

PROFILES = {p.name: p for p in (FAST, REAL)}
