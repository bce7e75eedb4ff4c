"""TBURN's root cause in the production-timing stack (tests/e2e/test_production_timing.py):
heap pressure, the memory governor going critical with it."""
from __future__ import annotations

from tests.e2e.exposition import collectors

GiB = 1024**3

# The page it must send, once: (alertname, member label value or "").
PAGES = {("TburnHeapHigh", "")}
# Held down in the rules while the cause fires (docs/alerting.md, the hold-down).
HELD = {"TburnMemoryGovernorDegraded"}


def serve(t: float | None) -> list[tuple[str, float]]:
    """The exporter's samples `t` seconds into the fault (None: healthy)."""
    pressure = t is not None
    state = "critical" if pressure else "normal"
    return [("tburn_up", 1.0), ("tburn_heap_ratio", 0.97 if pressure else 0.5),
            ("tburn_heap_used_bytes", 1.0 * GiB),
            *((f'tburn_memory_governor_state{{tburn_memory_governor_state="{s}"}}', float(s == state))
              for s in ("normal", "warning", "deferred", "hibernating", "critical")),
            ("tburn_shards", 32.0), ("tburn_pipeline_running", 1.0),
            *collectors("tburn", set(), ("health", "memory", "system_health", "sharding"))]
