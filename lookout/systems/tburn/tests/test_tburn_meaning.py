"""What TBURN's numbers mean, from its newest source (trustburn79-droid/TburnChain a52569cc),
and that Lookout's own requests do not change them.

Each canned body names the TburnChain file it mirrors.
"""
import json
import threading
from collections import Counter
from dataclasses import replace

import pytest

from lookout.devstack.fuzz_body_server import Canned
from lookout.devstack.proc import http_get, scrape
from lookout.exporters.runtime import CollectError, Deadline, MetricSet
from lookout.exporters.runtime.config import Loader
from lookout.systems.tburn.exporter import build
from lookout.systems.tburn.exporter.config import TburnConfig

from .test_tburn_config import _envelope, _serve_green

NOW_MS = 1736762400123  # the envelope's `timestamp` in _envelope (TBURN's Date.now())


def _stats(running: bool, tps: float, last_block_ago_ms: float | None) -> bytes:
    """server/routes/pipeline-routes.ts GET /stats over realtime-block-pipeline.ts getStats()."""
    return _envelope({"isRunning": running, "currentBlockNumber": 7, "blocksProduced": 7,
                      "transactionsProcessed": 700, "currentTPS": tps, "averageTPS": 0, "peakTPS": 0,
                      "uptime": 30.0 if running else 0,
                      "lastBlockTime": 0 if last_block_ago_ms is None else NOW_MS - last_block_ago_ms,
                      "blocksPerSecond": 0})


def test_each_route_is_fetched_once_per_collection(fuzz_server, exporter, write_config, tmp_path):
    """memory_governor and request_shedder both read /api/sharding/v6/metrics: one request."""
    _serve_green(fuzz_server)
    proc = exporter(write_config(tmp_path / "c.yml", fuzz_server.url))
    fuzz_server.seen_paths.clear()
    scrape(proc.url)
    seen = Counter(fuzz_server.seen_paths)
    assert seen["/api/sharding/v6/metrics"] == 1
    assert all(n == 1 for n in seen.values()), seen


V6 = "/api/sharding/v6/metrics"  # read by memory_governor and request_shedder


def _v6_collectors(url: str):
    cfg = Loader("tburn", environ={}).load(TburnConfig, {"base_url": url})
    by_name = {c.name: c for c in build(cfg)}
    return by_name["memory_governor"], by_name["request_shedder"]


def _both_at_once(collectors, deadline: Deadline) -> list:
    """Each collector's collect on a thread of its own, as the runtime runs them: what each
    returned (None) or raised, and what each wrote."""
    outs = [MetricSet("tburn") for _ in collectors]
    results: list = [None] * len(collectors)

    def run(i):
        try:
            collectors[i].collect(outs[i], deadline)
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test looks at
            results[i] = exc
    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(collectors))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    return [(r, {f.name for f in out.families()}) for r, out in zip(results, outs)]


def test_collectors_on_threads_share_one_request_per_collection(fuzz_server):
    """Both readers of the v6 route ask while its one request is in flight: one request per
    collection, its answer to both; the next collection asks again."""
    _serve_green(fuzz_server)
    fuzz_server.set(V6, replace(fuzz_server.responses[V6], delay=0.3))
    governor, shedder = _v6_collectors(fuzz_server.url)
    try:
        for collection in (1, 2):
            got = _both_at_once([governor, shedder], Deadline(5))
            assert [r for r, _ in got] == [None, None]
            assert "tburn_memory_governor_state" in got[0][1] and "tburn_degraded_mode" in got[1][1]
            assert fuzz_server.seen_paths.count(V6) == collection
        assert ((V6, "2xx"), 2) in governor.client.counts()
    finally:
        governor.close()


@pytest.mark.parametrize("canned,deadline,reason,code", [
    # sharding-routes.ts catch: res.status(503).json({success: false, error: error.message})
    (Canned(json.dumps({"success": False, "error": "Orchestrator not ready"}).encode(), status=503, delay=0.3),
     5, "error", "5xx"),
    # Slower than the collection's deadline: no answer, and no second request for it.
    (Canned(b"{}", delay=2), 0.8, "timeout", "none"),
])
def test_a_shared_failure_fails_both_readers_without_a_retry(fuzz_server, canned, deadline, reason, code):
    _serve_green(fuzz_server)
    fuzz_server.set(V6, canned)
    governor, shedder = _v6_collectors(fuzz_server.url)
    try:
        got = _both_at_once([governor, shedder], Deadline(deadline))
        assert [(type(r), r.reason) for r, _ in got] == [(CollectError, reason)] * 2, got
        assert fuzz_server.seen_paths.count(V6) == 1
        assert ((V6, code), 1) in governor.client.counts()
    finally:
        governor.close()


def test_a_5xx_is_not_retried_and_its_error_text_reaches_the_operator(fuzz_server, exporter, write_config,
                                                                       tmp_path):
    _serve_green(fuzz_server)
    # pipeline-routes.ts catch: res.status(503).json({success: false, error: error.message})
    fuzz_server.set("/api/pipeline/stats", Canned(json.dumps(
        {"success": False, "error": "Pipeline not initialized"}).encode(), status=503))
    proc = exporter(write_config(tmp_path / "c.yml", fuzz_server.url))
    fuzz_server.seen_paths.clear()
    m = scrape(proc.url)
    assert fuzz_server.seen_paths.count("/api/pipeline/stats") == 1
    assert m.get("lookout_collector_errors_total", collector="pipeline", reason="error") == 1
    assert "Pipeline not initialized" in http_get(proc.url + "/")[2]
    # The text is never a label value: bounded label sets only.
    assert "Pipeline not initialized" not in m.text
    # Lookout's own 5xx on a route TBURN counts is visible, so the alerts can leave it out.
    assert m.get("tburn_lookout_requests_total", route="/api/pipeline/stats", code="5xx", counted="true") in (None, 0, 1)
    m = scrape(proc.url)
    assert m.get("tburn_lookout_requests_total", route="/api/pipeline/stats", code="5xx", counted="true") >= 1


def test_metrics_not_yet_available_is_not_ready_not_a_fault(fuzz_server, exporter, write_config, tmp_path):
    _serve_green(fuzz_server)
    # system-health-routes.ts GET /metrics before the monitor's first snapshot.
    fuzz_server.set("/api/system-health/metrics", Canned(json.dumps(
        {"success": False, "error": "Metrics not yet available"}).encode(), status=503))
    m = scrape(exporter(write_config(tmp_path / "c.yml", fuzz_server.url)).url)
    assert m.get("lookout_collector_errors_total", collector="system_health", reason="not_ready") == 1
    assert not m.get("lookout_collector_errors_total", collector="system_health", reason="http")


def test_default_config_starts_no_simulation(fuzz_server, exporter, write_config, tmp_path):
    """sharding-routes.ts ensureOrchestrator(): /status and /circuit-breakers start the
    simulated shard orchestrator on first request; by default Lookout never asks them."""
    _serve_green(fuzz_server)
    proc = exporter(write_config(tmp_path / "c.yml", fuzz_server.url, simulated_routes=False))
    m = scrape(proc.url)
    scrape(proc.url)
    assert "/api/sharding/status" not in fuzz_server.seen_paths
    assert "/api/sharding/circuit-breakers" not in fuzz_server.seen_paths
    assert m.get("tburn_shards") is None and not m.all("tburn_circuit_breaker_state")


@pytest.mark.parametrize("running,tps,ago_ms,healthy,age", [
    (False, 0, None, 1, None),      # off by default (ENABLE_BLOCK_PIPELINE unset): healthy to TBURN
    (True, 2000, 1500, 1, 1.5),     # running, a block 1.5 s ago
    (True, 2000, 4999, 1, 4.999),   # just inside TBURN's 5000 ms
    (True, 2000, 5000, 0, 5.0),     # `now - lastBlockTime < 5000` is false at exactly 5000
    (True, 0, 100, 0, 0.1),         # running with no transactions: currentTPS > 0 fails
])
def test_pipeline_health_is_tburns_own_rule(fuzz_server, exporter, write_config, tmp_path, running, tps, ago_ms,
                                            healthy, age):
    _serve_green(fuzz_server)
    fuzz_server.set("/api/pipeline/stats", Canned(_stats(running, tps, ago_ms)))
    m = scrape(exporter(write_config(tmp_path / "c.yml", fuzz_server.url)).url)
    assert m["tburn_pipeline_running"] == (1 if running else 0)
    assert m["tburn_pipeline_healthy"] == healthy
    if age is None:
        assert m.get("tburn_pipeline_last_block_age_seconds") is None
    else:
        assert m["tburn_pipeline_last_block_age_seconds"] == pytest.approx(age)


def test_lookout_counts_its_own_requests_per_route(fuzz_server, exporter, write_config, tmp_path):
    _serve_green(fuzz_server)
    proc = exporter(write_config(tmp_path / "c.yml", fuzz_server.url, simulated_routes=False))
    for _ in range(3):
        scrape(proc.url)

    def counts():
        m = scrape(proc.url)
        sent: dict = Counter()
        for s in m.all("tburn_lookout_requests_total"):
            sent[(s.labels["route"], s.labels["counted"])] += s.value
        return m, sent
    # The health collector exports the counts while the other collectors of the same collection
    # may still be fetching, so one scrape can show a route one request ahead of another; a
    # route fetched twice per collection would never catch up.
    for _ in range(10):
        m, sent = counts()
        if sent[("/api/sharding/v6/metrics", "true")] == sent[("/api/pipeline/stats", "true")]:
            break
    # Counted routes start with 5xx at 0, so the rules' rate() sees the first one.
    assert m.get("tburn_lookout_requests_total", route="/api/pipeline/stats", code="5xx", counted="true") == 0
    # Routes registered after routes.ts's request-tracking middleware are counted by TBURN.
    assert sent[("/api/pipeline/stats", "true")] >= 3
    assert sent[("/api/sharding/v6/metrics", "true")] >= 3
    assert sent[("/health", "false")] >= 3
    assert sent[("/api/system-health/metrics", "false")] >= 3
    # Fetched once per collection: the shared route is not counted twice.
    assert sent[("/api/sharding/v6/metrics", "true")] == sent[("/api/pipeline/stats", "true")]
