"""TBURN's demo scenarios (lookout/demo/scenario.py says what a scenario promises)."""
from lookout.demo.scenario import Scenario

SCENARIOS = (
    Scenario("tburn-heap-pressure", "tburn", "TburnHeapHigh",
             "TBURN's heap held at 97% of its limit: memory governor critical, requests rejected.",
             target="tburn", fault="heap-pressure", params={"level": "critical"}, pages=("TburnHeapHigh",)),
    Scenario("tburn-breaker-open", "tburn", "TburnCircuitBreakerOpen",
             "TBURN's circuit breaker of shard 3 stuck open (a warning: chat, no page).",
             target="tburn", fault="breaker-open", params={"shard": 3}, chat=("TburnCircuitBreakerOpen",)),
    Scenario("tburn-down", "tburn", "TburnDown",
             "TBURN's /health answers 503.", target="tburn", fault="health-down", pages=("TburnDown",)),
)
