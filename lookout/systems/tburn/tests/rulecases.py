"""How each TBURN signal's series are made for the generated promtool cases
(tests/alerts/rulecases.py): the metric it reads and the labels its alert keeps."""
from tests.alerts.rulecases import Fixture, gauge, stateset


def _governor(v: float) -> str:
    # "warning" is the governor's own mildest state: it must read green here.
    return "critical" if v >= 2 else "deferred" if v >= 1 else "warning"


# TBURN's source spells them in lower case (rule_cases.yml also checks the capitalised form).
GOVERNOR_STATES = ("normal", "warning", "deferred", "hibernating", "critical")
BREAKER_STATES = ("closed", "open", "half_open")

FIXTURES: dict[str, Fixture] = {
    "tburn_up": gauge("tburn", "tburn_up"),
    "tburn_heap": gauge("tburn", "tburn_heap_ratio", 0.01),
    "tburn_memory_governor": stateset("tburn", "tburn_memory_governor_state", GOVERNOR_STATES, _governor),
    "tburn_event_loop_lag": gauge("tburn", "tburn_event_loop_lag_seconds", 0.01),
    "tburn_latency_p99": gauge("tburn", "tburn_latency_p99_seconds", 0.01),
    "tburn_db_pool_waiting": gauge("tburn", "tburn_db_pool_waiting_requests"),
    "tburn_db_pool_available": gauge("tburn", "tburn_db_pool_available_connections"),
    "tburn_circuit_breaker_open": stateset("tburn", "tburn_circuit_breaker_state", BREAKER_STATES,
                                           lambda v: "open" if v >= 1 else "closed", shard="3"),
    "tburn_degraded_mode": gauge("tburn", "tburn_degraded_mode"),
    "tburn_pipeline_running": gauge("tburn", "tburn_pipeline_healthy"),
    "tburn_shards_min": gauge("tburn", "tburn_shards"),
    "tburn_shards_max": gauge("tburn", "tburn_shards"),
}
