"""The real exporter against the real simulator over HTTP, fault by fault: the metrics the
runbook ties to that fault cross their thresholds, and every other indicator stays green."""
import time

import pytest

from lookout.devstack.proc import Metrics, promtool_check_metrics, scrape, wait_until

# db_pool is off by default: TBURN never fills its pool block (sharding/system-health routes).
DATA_COLLECTORS = ("system_health", "memory_guardian", "memory_governor", "request_shedder",
                   "circuit_breakers", "pipeline", "shards")


def _value(m: Metrics, name: str, **labels) -> float:
    value = m.get(name, **labels)
    if value is None:
        raise LookupError(name)
    return value


def _all_closed(m: Metrics) -> bool:
    closed = [s for s in m.all("tburn_circuit_breaker_state") if s.labels["tburn_circuit_breaker_state"] == "closed"]
    if not closed:
        raise LookupError("tburn_circuit_breaker_state")
    return all(s.value == 1 for s in closed)


# Each indicator is green when the alert catalogue's warning threshold is not crossed.
# `before` and `after` are two scrapes a moment apart (for counters).
INDICATORS = {
    "up": lambda b, a: _value(a, "tburn_up") == 1,
    "collectors": lambda b, a: all(_value(a, "lookout_collector_success", collector=c) == 1
                                   for c in DATA_COLLECTORS),
    "heap": lambda b, a: _value(a, "tburn_heap_ratio") < 0.70,
    "governor": lambda b, a: _value(a, "tburn_memory_governor_state", tburn_memory_governor_state="normal") == 1,
    "hibernated": lambda b, a: _value(a, "tburn_hibernated_shards") == 0,
    "lag": lambda b, a: _value(a, "tburn_event_loop_lag_seconds") < 0.150,
    "degraded": lambda b, a: _value(a, "tburn_degraded_mode") == 0,
    "shedding": lambda b, a: _value(a, "tburn_requests_shed_total") == _value(b, "tburn_requests_shed_total"),
    "error_ratio": lambda b, a: _value(a, "tburn_error_ratio") < 0.05,
    "error_counters": lambda b, a: (
        (_value(a, "tburn_request_errors_total") - _value(b, "tburn_request_errors_total"))
        < 0.05 * (_value(a, "tburn_requests_total") - _value(b, "tburn_requests_total"))),
    "latency": lambda b, a: _value(a, "tburn_latency_p99_seconds") < 0.5,
    "breakers": lambda b, a: _all_closed(a),
    "pipeline": lambda b, a: _value(a, "tburn_pipeline_running") == 1,
    "shards": lambda b, a: 24 <= _value(a, "tburn_shards") <= 64,
}


def _green(before: Metrics, after: Metrics) -> dict[str, bool]:
    out = {}
    for name, check in INDICATORS.items():
        try:
            out[name] = bool(check(before, after))
        except LookupError:  # a metric gone missing is not green either
            out[name] = False
    return out


def _two_scrapes(url: str, gap: float = 1.0) -> tuple[Metrics, Metrics]:
    before = scrape(url, timeout_header=5)
    time.sleep(gap)
    return before, scrape(url, timeout_header=5)


def test_defaults_are_green(fresh_sim, sim_exporter):
    before, after = _two_scrapes(sim_exporter.url)
    assert _green(before, after) == {name: True for name in INDICATORS}
    assert promtool_check_metrics(after.text) == ""
    assert after["tburn_requests_total"] > before["tburn_requests_total"]  # the counters move
    assert not after.all("lookout_collector_fields_missing_total")
    # The pool block TBURN never fills drives nothing by default.
    assert after.get("tburn_db_pool_available_connections") is None


FAULTS = [
    # (fault, params, indicators that must turn red)
    ("heap-pressure", {"level": "guardian-warning"}, {"heap"}),
    ("heap-pressure", {"level": "warning"}, {"heap", "governor"}),
    ("heap-pressure", {"level": "deferred"}, {"heap", "governor"}),
    ("heap-pressure", {"level": "hibernating"}, {"heap", "governor", "hibernated"}),
    # Critical: "emergency measures, reject requests" -- the shedder rejects them.
    ("heap-pressure", {"level": "critical"}, {"heap", "governor", "hibernated", "degraded", "shedding"}),
    ("event-loop-lag", {"lag_ms": 200}, {"lag"}),
    # Past the shedder's 250 ms threshold, it degrades and sheds.
    ("event-loop-lag", {}, {"lag", "degraded", "shedding"}),
    ("request-shedding", {}, {"degraded", "shedding"}),
    ("breaker-open", {}, {"breakers"}),
    ("breaker-open", {"shard": 17, "state": "HALF_OPEN"}, {"breakers"}),
    # The runbook's pool-exhaustion symptoms: latency > 1000 ms and 503s (no pool metric moves).
    ("db-pool-exhaustion", {}, {"latency", "error_ratio", "error_counters"}),
    ("pipeline-stopped", {}, {"pipeline"}),
    ("error-rate-spike", {}, {"error_ratio", "error_counters"}),
    ("latency-spike", {}, {"latency"}),
    ("shard-scale-out", {}, {"shards"}),
    ("shard-scale-out", {"count": 16}, {"shards"}),
    ("health-down", {}, {"up"}),
    ("slow-responses", {"delay": 8, "endpoints": ["pipeline"]}, {"collectors", "pipeline"}),
    ("garbage-bodies", {"kind": "html", "endpoints": ["pipeline"]}, {"collectors", "pipeline"}),
    ("garbage-bodies", {"kind": "wrong-types", "endpoints": ["sharding_status"]}, {"collectors", "shards"}),
    # /health's body is never trusted, only its status.
    ("garbage-bodies", {"kind": "cut", "endpoints": ["health"]}, set()),
]


@pytest.mark.parametrize("fault,params,red", FAULTS,
                         ids=[f"{f}-{'-'.join(map(str, p.values())) or 'default'}" for f, p, _ in FAULTS])
def test_fault_moves_its_metrics_only(fresh_sim, sim_exporter, fault, params, red):
    fresh_sim.inject(fault, **params)
    before, after = _two_scrapes(sim_exporter.url)
    green = _green(before, after)
    assert {name for name, ok in green.items() if not ok} == red, green
    assert promtool_check_metrics(after.text) == ""


def test_heap_levels_name_the_governor_states(fresh_sim, sim_exporter):
    # memory-governor.ts: warn 0.75, defer 0.85, hibernate 0.90, critical 0.95 (lowercase states).
    expected = {"guardian-warning": "normal", "warning": "warning", "deferred": "deferred",
                "hibernating": "hibernating", "critical": "critical"}
    for level, governor in expected.items():
        fresh_sim.inject("heap-pressure", level=level)
        m = scrape(sim_exporter.url)
        assert m.get("tburn_memory_governor_state", tburn_memory_governor_state=governor) == 1, level
        assert sum(s.value for s in m.all("tburn_memory_governor_state")) == 1
        # memory-guardian.ts: ratio = heapUsed / maxHeapMB (2048).
        assert m["tburn_heap_used_bytes"] == pytest.approx(m["tburn_heap_ratio"] * 2048 * 2**20, rel=0.01)


def test_breaker_open_names_the_shard(fresh_sim, sim_exporter):
    fresh_sim.inject("breaker-open", shard=5)
    m = scrape(sim_exporter.url)
    assert m.get("tburn_circuit_breaker_state", shard="5", tburn_circuit_breaker_state="open") == 1
    assert m.get("tburn_circuit_breaker_state", shard="5", tburn_circuit_breaker_state="closed") == 0
    for other in (0, 4, 6, 31):
        assert m.get("tburn_circuit_breaker_state", shard=str(other), tburn_circuit_breaker_state="closed") == 1


@pytest.mark.parametrize("kind,reason", [
    ("html", "parse"), ("not-json", "parse"), ("truncated", "parse"), ("empty", "parse"), ("deep", "parse"),
    ("cut", "payload"), ("huge", "too_large"), ("wrong-types", "fields"), ("nulls", "fields"),
])
def test_garbage_fails_only_its_collector(fresh_sim, sim_exporter, kind, reason):
    before = scrape(sim_exporter.url)
    fresh_sim.inject("garbage-bodies", kind=kind, endpoints=["pipeline"])
    m = scrape(sim_exporter.url)
    assert m["tburn_up"] == 1
    assert m.get("lookout_collector_success", collector="pipeline") == 0
    assert m.get("lookout_collector_errors_total", collector="pipeline", reason=reason) == \
        (before.get("lookout_collector_errors_total", collector="pipeline", reason=reason) or 0) + 1
    assert m.get("tburn_pipeline_running") is None  # nothing stale
    for c in DATA_COLLECTORS:
        if c != "pipeline":
            assert m.get("lookout_collector_success", collector=c) == 1, c
    assert m["tburn_heap_ratio"] < 0.7


def test_wrong_types_everywhere_fail_the_collector_without_missing_fields(fresh_sim, sim_exporter):
    """Nothing readable is a failed answer (reason fields), not an answer with missing fields."""
    before = scrape(sim_exporter.url)
    fresh_sim.inject("garbage-bodies", kind="wrong-types", endpoints=["v6_metrics"])
    m = scrape(sim_exporter.url)
    for collector in ("memory_governor", "request_shedder"):
        assert m.get("lookout_collector_success", collector=collector) == 0
        assert m.get("lookout_collector_errors_total", collector=collector, reason="fields") == \
            (before.get("lookout_collector_errors_total", collector=collector, reason="fields") or 0) + 1
    assert not [s for s in m.all("lookout_collector_fields_missing_total")
                if s.labels["collector"] in ("memory_governor", "request_shedder")]
    fresh_sim.clear("garbage-bodies")
    assert scrape(sim_exporter.url).get("lookout_collector_success", collector="memory_governor") == 1


def test_fault_with_duration_clears_itself(fresh_sim, sim_exporter):
    answer = fresh_sim.inject("pipeline-stopped", duration="1s")
    assert answer["remaining_seconds"] == pytest.approx(1.0, abs=0.1)
    assert scrape(sim_exporter.url)["tburn_pipeline_running"] == 0
    wait_until(lambda: scrape(sim_exporter.url)["tburn_pipeline_running"] == 1, timeout=5,
               what="pipeline running again")
    assert fresh_sim.control("GET", "/_sim/faults")[1]["active"] == []


def test_cleared_fault_recovers_without_restart(fresh_sim, sim_exporter):
    fresh_sim.inject("health-down", status=500)
    assert scrape(sim_exporter.url)["tburn_up"] == 0
    assert fresh_sim.clear("health-down") == {"cleared": True}
    m = scrape(sim_exporter.url)
    assert m["tburn_up"] == 1
    assert m["tburn_health_probe_seconds"] > 0
    assert sim_exporter.proc.poll() is None
