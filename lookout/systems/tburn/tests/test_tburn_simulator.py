"""The simulator itself: its dynamics, its fault registry, its control API and CLI.

The dynamics tests run the real model on a hand-turned clock (model time is all it
reads), so minutes of behaviour take milliseconds; everything else goes over HTTP.
"""
import json
import os
import statistics
import urllib.request
import subprocess
import sys

import pytest

from lookout.devstack.proc import ROOT, free_port, http_get
from lookout.simulators.common import FaultError, FaultRegistry, parse_duration
from lookout.systems.tburn.simulator.faults import FAULTS, HEAP_LEVELS
from lookout.systems.tburn.simulator.model import TburnModel


def _get(sim, path: str) -> str:
    req = urllib.request.Request(sim.url + path, headers={"Cookie": "connect.sid=lookout-demo-session"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.read().decode()


def api(sim, path: str) -> dict:
    """The `data` of a TBURN envelope, fetched with the simulator's default session."""
    doc = json.loads(_get(sim, path))
    assert doc["success"] is True
    return doc["data"]


class HandClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def world():
    clock = HandClock()
    faults = FaultRegistry(FAULTS, clock=clock)
    model = TburnModel(faults, seed=3, clock=clock, wall=lambda: 1.7e9 + clock.now)
    return clock, faults, model


def run(clock, model, seconds: float, every: float = 1.0) -> list[dict]:
    """Advance model time, sampling every endpoint each `every` seconds."""
    samples = []
    for _ in range(int(seconds / every)):
        clock.now += every
        model.advance()
        samples.append(sample(model))
    return samples


def sample(model) -> dict:
    """The values the routes answer, flattened (system-health-routes.ts, sharding-routes.ts)."""
    sh, v6 = model.system_health(), model.v6_metrics()
    gov, shed = v6["memoryGovernor"], v6["requestShedder"]
    return {"load": model.load, "heapRatio": model.heap_ratio(), "lastGcAt": gov["lastGcAt"],
            "gcCount": gov["gcRequestCount"], "eventLoopLagMs": sh["process"]["eventLoopLag"],
            "isDegradedMode": shed["isDegradedMode"], "shardCount": model.sharding_status()["shardCount"],
            "p99LatencyMs": sh["http"]["responseTime"]["p99"], "errorRatePercent": sh["http"]["errorRate"],
            "totalRequests": sh["http"]["totalRequests"], "totalErrors": sh["http"]["errorCount"],
            "pool": sh["database"]["pool"], "governor": gov["currentState"]}


def test_heap_grows_and_is_collected(world):
    clock, _, model = world
    samples = run(clock, model, 600)
    ratios = [s["heapRatio"] for s in samples]
    drops = [i for i in range(1, len(ratios)) if ratios[i] < ratios[i - 1] - 0.05]
    assert len(drops) >= 4  # several GC cycles in ten minutes
    assert all(ratios[i] > ratios[i - 1] for i in range(drops[0] + 1, drops[1]))  # it grows in between
    assert max(ratios) < 0.70 and min(ratios) > 0.30
    assert samples[-1]["lastGcAt"] is not None and samples[-1]["gcCount"] == len(drops)
    floors = [ratios[i] for i in drops]
    assert max(floors) - min(floors) < 0.02  # no growth of the post-GC floor: no leak by default


def test_lag_follows_load_and_the_pool_block_stays_constant(world):
    clock, _, model = world
    samples = run(clock, model, 900)
    busy = sorted(samples, key=lambda s: s["load"])
    low, high = busy[: len(busy) // 4], busy[-len(busy) // 4:]
    assert statistics.mean(s["eventLoopLagMs"] for s in high) > statistics.mean(s["eventLoopLagMs"] for s in low)
    assert len({str(s["pool"]) for s in samples}) == 1  # TBURN never fills it from a real pool
    assert statistics.mean(s["p99LatencyMs"] for s in high) > statistics.mean(s["p99LatencyMs"] for s in low)
    for s in samples:  # and everything stays green
        assert 24 <= s["shardCount"] <= 64
        assert s["eventLoopLagMs"] < 100 and s["p99LatencyMs"] < 200 and s["errorRatePercent"] < 0.1
        assert s["governor"] == "normal" and not s["isDegradedMode"]


def test_counters_only_grow(world):
    clock, faults, model = world
    samples = run(clock, model, 60)
    faults.inject("error-rate-spike", {"ratio": 0.5})
    samples += run(clock, model, 60)
    for a, b in zip(samples, samples[1:]):
        assert b["totalRequests"] >= a["totalRequests"] and b["totalErrors"] >= a["totalErrors"]
    errors = samples[-1]["totalErrors"] - samples[59]["totalErrors"]
    requests = samples[-1]["totalRequests"] - samples[59]["totalRequests"]
    assert errors / requests == pytest.approx(0.5, abs=0.03)


def test_memory_leak_raises_the_floor_through_the_governor_states(world):
    clock, faults, model = world
    faults.inject("memory-leak", {"rate_per_hour": 3.6})  # 0.1 % of the limit per second
    states = {s["governor"] for s in run(clock, model, 600)}
    assert {"normal", "warning", "deferred", "hibernating", "critical"} <= states


@pytest.mark.parametrize("level", HEAP_LEVELS)
def test_heap_level_stays_in_its_band(world, level):
    clock, faults, model = world
    faults.inject("heap-pressure", {"level": level})
    ratios = [s["heapRatio"] for s in run(clock, model, 120)]
    assert max(ratios) - min(ratios) < 0.025
    assert abs(statistics.mean(ratios) - HEAP_LEVELS[level]) < 0.01


def test_degraded_mode_lasts_its_duration(world):
    clock, faults, model = world
    faults.inject("event-loop-lag", {"lag_ms": 400})
    assert run(clock, model, 5)[-1]["isDegradedMode"] is True
    faults.clear("event-loop-lag")
    flags = [s["isDegradedMode"] for s in run(clock, model, 40)]
    assert all(flags[:28]) and not any(flags[31:])  # the runbook's 30 s


def test_fault_durations_expire(world):
    clock, faults, _ = world
    faults.inject("pipeline-stopped", {"for": "2m"})
    faults.inject("latency-spike", {"for": 30})
    clock.now += 31
    assert faults.get("latency-spike") is None and faults.get("pipeline-stopped") is not None
    clock.now += 90
    assert faults.active() == []


@pytest.mark.parametrize("raw,seconds", [(30, 30.0), ("30", 30.0), ("30s", 30.0), ("500ms", 0.5),
                                         ("2m", 120.0), ("1h", 3600.0), ("1.5s", 1.5), (None, None)])
def test_durations(raw, seconds):
    assert parse_duration(raw) == seconds


@pytest.mark.parametrize("name,body,message", [
    ("nope", {}, "unknown fault"),
    ("heap-pressure", {"level": "melting"}, "level: must be one of"),
    ("heap-pressure", {"lvl": "critical"}, "unknown parameter lvl"),
    ("error-rate-spike", {"ratio": 2}, "ratio: must be <= 1"),
    ("shard-scale-out", {"count": 2.5}, "count: expected a whole number"),
    ("slow-responses", {"endpoints": "pipeline,bogus"}, "unknown bogus"),
    ("pipeline-stopped", {"for": "soon"}, "for: expected seconds"),
    ("pipeline-stopped", {"for": -1}, "for: must be a positive"),
])
def test_registry_refuses_bad_requests(name, body, message):
    with pytest.raises(FaultError, match=message):
        FaultRegistry(FAULTS).inject(name, body)


def test_control_api(fresh_sim):
    status, listing = fresh_sim.control("GET", "/_sim/faults")
    assert status == 200 and listing["active"] == []
    assert set(listing["available"]) == {f.name for f in FAULTS}
    assert listing["available"]["heap-pressure"]["params"]["level"]["choices"] == list(HEAP_LEVELS)
    assert fresh_sim.control("POST", "/_sim/faults/nope", {})[0] == 404
    assert fresh_sim.control("POST", "/_sim/faults/latency-spike", {"p99_ms": "fast"})[0] == 400
    assert fresh_sim.control("DELETE", "/_sim/faults/nope")[0] == 404
    fresh_sim.inject("latency-spike", duration=60, p99_ms=900)
    active = fresh_sim.control("GET", "/_sim/faults")[1]["active"]
    assert [(a["name"], a["params"]) for a in active] == [("latency-spike", {"p99_ms": 900.0})]
    assert 59 < active[0]["remaining_seconds"] <= 60
    assert api(fresh_sim, "/api/system-health/metrics")["http"]["responseTime"]["p99"] > 850
    assert fresh_sim.control("DELETE", "/_sim/faults/latency-spike")[1] == {"cleared": True}
    assert fresh_sim.control("DELETE", "/_sim/faults/latency-spike")[1] == {"cleared": False}
    assert api(fresh_sim, "/api/system-health/metrics")["http"]["responseTime"]["p99"] < 200


def test_runbook_remedies(fresh_sim):
    def post(path):
        return fresh_sim.control("POST", path)
    assert post("/api/pipeline/stop")[0] == 200
    assert api(fresh_sim, "/api/pipeline/stats")["isRunning"] is False
    post("/api/pipeline/start")
    assert api(fresh_sim, "/api/pipeline/stats")["isRunning"] is True
    fresh_sim.inject("heap-pressure", level="critical")
    assert api(fresh_sim, "/api/sharding/v6/metrics")["memoryGovernor"]["currentState"] == "critical"
    post("/api/memory-guardian/force-cleanup")
    after = api(fresh_sim, "/api/sharding/v6/metrics")["memoryGovernor"]
    assert after["heapUsagePercent"] < 50 and after["lastGcAt"] is not None
    fresh_sim.inject("breaker-open")
    post("/api/circuit-breaker/reset")
    assert {b["state"] for b in api(fresh_sim, "/api/sharding/circuit-breakers")["shards"]} == {"CLOSED"}


def test_the_shedder_exit_degraded_route(fresh_sim):
    """The route lookout-remediate's tburn-exit-degraded calls: TburnChain a52569c
    server/routes/sharding-routes.ts POST /v6/shedder/exit-degraded answers
    {success, message, isDegradedMode} after forceExitDegradedMode() (it answered 404 here)."""
    fresh_sim.inject("request-shedding")
    assert api(fresh_sim, "/api/sharding/v6/metrics")["requestShedder"]["isDegradedMode"] is True
    fresh_sim.clear("request-shedding")
    status, body = fresh_sim.control("POST", "/api/sharding/v6/shedder/exit-degraded")
    assert status == 200 and body["success"] is True and body["isDegradedMode"] is False, body
    assert api(fresh_sim, "/api/sharding/v6/metrics")["requestShedder"]["isDegradedMode"] is False


def test_routes_answer_like_tburn(fresh_sim):
    """Envelope, 401 without the session, Prometheus text (server/routes.ts, sharding-routes.ts,
    memory-guardian.ts)."""
    status, _, body = http_get(fresh_sim.url + "/api/sharding/status")
    assert status == 401 and json.loads(body) == {"error": "Unauthorized"}
    assert http_get(fresh_sim.url + "/health")[0] == 200
    doc = json.loads(_get(fresh_sim, "/api/sharding/status"))
    assert doc["success"] is True and isinstance(doc["timestamp"], int) and doc["data"]["shardCount"] == 32
    text = _get(fresh_sim, "/api/memory/guardian/prometheus")
    assert "# TYPE tburn_memory_guardian_heap_ratio gauge" in text
    sh = api(fresh_sim, "/api/system-health/metrics")
    assert sh["http"]["errorRate"] < 1  # a percent: 0.05 % by default


def ctl(url, *args):
    return subprocess.run([sys.executable, "-m", "lookout.systems.tburn.simulator.ctl", "--url", url, *args], cwd=ROOT,
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})


def test_ctl_cli(fresh_sim):
    res = ctl(fresh_sim.url, "inject", "heap-pressure", "--level", "critical", "--for", "30s")
    assert res.returncode == 0, res.stderr
    assert '"level": "critical"' in res.stdout
    assert api(fresh_sim, "/api/sharding/v6/metrics")["memoryGovernor"]["currentState"] == "critical"
    res = ctl(fresh_sim.url, "inject", "event-loop-lag", "--lag-ms=200")
    assert res.returncode == 0, res.stderr
    assert 190 < api(fresh_sim, "/api/sharding/v6/metrics")["requestShedder"]["eventLoopLagMs"] < 210
    listing = ctl(fresh_sim.url, "list")
    assert listing.returncode == 0 and '"heap-pressure"' in listing.stdout
    res = ctl(fresh_sim.url, "inject", "heap-pressure", "--level", "melting")
    assert res.returncode == 1 and "level: must be one of" in res.stderr
    assert ctl(fresh_sim.url, "clear", "heap-pressure").returncode == 0
    assert api(fresh_sim, "/api/sharding/v6/metrics")["memoryGovernor"]["currentState"] != "critical"
    assert ctl(fresh_sim.url, "clear", "--all").returncode == 0
    assert fresh_sim.control("GET", "/_sim/faults")[1]["active"] == []
    assert ctl(fresh_sim.url, "reset").returncode == 0
    assert ctl(fresh_sim.url, "clear").returncode == 2
    unreachable = ctl(f"http://127.0.0.1:{free_port()}", "list")
    assert unreachable.returncode == 3 and "cannot reach" in unreachable.stderr
