"""TBURN's demo scenarios replayed at production timing (tests/alerts/incidents.py builds
the checks and gathers REPLAYS from every system): what scenarios.py promises, held against
the generated rules by promtool."""
from __future__ import annotations

from tests.alerts.incidents import checks, fires, quiet, STEP, values

TBURN = 'instance="tburn-exporter:9107",job="tburn"'


def tburn_heap() -> dict:
    """The heap held at 97% for 20 minutes: the governor goes critical and the shedder degrades
    (and stays so 30 s after the heap is back, its default); TburnHeapHigh pages; the
    governor and the shedder, which the heap explains, never fire."""
    tburn = TBURN
    n = 2 * 3600 // STEP
    heap, degraded, critical = [], [], []
    for i in range(n):
        t = i * STEP
        high = 600 <= t < 1800
        heap.append(0.97 if high else 0.45)
        degraded.append(1 if 600 <= t < 1830 else 0)
        critical.append(1 if high else 0)
    state = "tburn_memory_governor_state"
    return {"name": "tburn-heap-pressure 20 min at production timing: TburnHeapHigh only",
            "interval": f"{STEP}s", "input_series": [
                {"series": f"tburn_heap_ratio{{{tburn}}}", "values": values(heap)},
                {"series": f"tburn_degraded_mode{{{tburn}}}", "values": values(degraded)},
                {"series": f'{state}{{{state}="critical",{tburn}}}', "values": values(critical)},
                {"series": f'{state}{{{state}="normal",{tburn}}}', "values": values([1 - c for c in critical])}],
            "alert_rule_test": checks({"TburnRequestShedding": {}, "TburnMemoryGovernorDegraded": {}},
                                      range(0, n * STEP // 60)) + [
                # Past 85% for 2m: firing from minute 12; resolved when the heap is back at 30.
                fires("TburnHeapHigh", 20 * 60, 0.97, tburn), *quiet("TburnHeapHigh", 1800, n * STEP)]}


def tburn_breaker_open() -> dict:
    """Shard 3's breaker opens at minute 10 and stays open for 20 minutes, half-open for one
    scrape, then closed: TburnCircuitBreakerOpen (a warning, chat only) past 5 minutes."""
    n = 2 * 3600 // STEP
    state = "tburn_circuit_breaker_state"
    at = {"closed": [], "open": [], "half_open": []}
    for i in range(n):
        t = i * STEP
        now = "open" if 600 <= t < 1800 else "half_open" if t == 1800 else "closed"
        for name, samples in at.items():
            samples.append(1 if name == now else 0)
    return {"name": "tburn-breaker-open 20 min at production timing: TburnCircuitBreakerOpen in chat, never a page",
            "interval": f"{STEP}s", "input_series": [
                {"series": f'{state}{{shard="3",{state}="{name}",{TBURN}}}', "values": values(samples)}
                for name, samples in at.items()],
            "alert_rule_test": [
                fires("TburnCircuitBreakerOpen", 25 * 60, 1, f'shard="3",{TBURN}'),
                *quiet("TburnCircuitBreakerOpen", 1800, n * STEP)]}


def tburn_down() -> dict:
    """TBURN's /health answers 503 from minute 10 for 10 minutes: TburnDown pages after 1m."""
    n = 2 * 3600 // STEP
    up = [0 if 600 <= i * STEP < 1200 else 1 for i in range(n)]
    return {"name": "tburn-down 10 min at production timing: TburnDown", "interval": f"{STEP}s",
            "input_series": [{"series": f"tburn_up{{{TBURN}}}", "values": values(up)}],
            "alert_rule_test": [fires("TburnDown", 15 * 60, 0, TBURN), *quiet("TburnDown", 1200, n * STEP)]}


REPLAYS = {
    "tburn-heap-pressure": lambda: [tburn_heap()],
    "tburn-breaker-open": lambda: [tburn_breaker_open()],
    "tburn-down": lambda: [tburn_down()],
}
