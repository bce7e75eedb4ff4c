"""Lookout's own requests must not change what it reports about TBURN.

Against the simulator answering as TBURN's newest source does (TburnChain a52569cc): it
counts every request to the routes registered after server/routes.ts's request-tracking
middleware (/api/pipeline, /api/sharding), a monitor's included, and its `errorRate` is the
lifetime ratio. One route Lookout reads answers 503 on every request, and nobody else uses
the node: TBURN's own counters then say a large share of its requests fail, all of them
Lookout's. The alert's reading (tburn:request_errors:ratio_rate5m, lookout/alert_rules/
signals/tburn.py) leaves Lookout's counted requests out and needs 30 other requests in the
window: no ratio, no page. The load Lookout adds per scrape is measured here too.
"""
from lookout.devstack.proc import scrape

SCRAPES = 10
MIN_REQUESTS = 30  # tburn_error_ratio's min_requests (the rule's floor per window)


def _own(m, counted: str | None = None) -> float:
    return sum(s.value for s in m.all("tburn_lookout_requests_total")
               if counted is None or s.labels["counted"] == counted)


def _own_5xx(m) -> float:
    return sum(s.value for s in m.all("tburn_lookout_requests_total")
               if s.labels["counted"] == "true" and s.labels["code"] == "5xx")


def test_an_idle_tburn_failing_only_lookouts_requests_does_not_page(fresh_sim, exporter, write_config, tmp_path):
    fresh_sim.inject("idle")
    # pipeline-routes.ts GET /stats catch: 503 {success: false, error}, on every scrape.
    fresh_sim.inject("route-errors", endpoints=["pipeline"], error="Pipeline not initialized")
    proc = exporter(write_config(tmp_path / "c.yml", fresh_sim.url, simulated_routes=False))
    first = scrape(proc.url)
    for _ in range(SCRAPES - 1):
        last = scrape(proc.url)
    last = scrape(proc.url)

    requests = last["tburn_requests_total"] - first["tburn_requests_total"]
    errors = last["tburn_request_errors_total"] - first["tburn_request_errors_total"]
    own_counted = _own(last, "true") - _own(first, "true")
    own_5xx = _own_5xx(last) - _own_5xx(first)
    # TBURN's own numbers: every counted request is Lookout's, and half of them fail.
    assert requests > 0 and errors / requests > 0.15, (requests, errors)
    # What the rule computes: Lookout's requests left out; what remains is at most the
    # requests of one scrape still in flight when the health collector counted.
    external = max(requests - own_counted, 0)
    assert external <= 2 and max(errors - own_5xx, 0) <= 1, (requests, own_counted, errors, own_5xx)
    assert external < MIN_REQUESTS  # below the floor: no ratio, no TburnErrorRateHigh
    # And the pipeline's failure is surfaced to the operator with TBURN's own words.
    assert last.get("lookout_collector_errors_total", collector="pipeline", reason="error") >= SCRAPES


def test_the_load_lookout_adds_per_scrape(fresh_sim, exporter, write_config, tmp_path):
    """Defaults: five routes a scrape (health, system_health, memory_guardian, the shared
    v6 metrics, pipeline), two of which TBURN counts in its request counters."""
    proc = exporter(write_config(tmp_path / "c.yml", fresh_sim.url, simulated_routes=False))
    first = scrape(proc.url)
    for _ in range(SCRAPES):
        last = scrape(proc.url)
    per_scrape = (_own(last) - _own(first)) / SCRAPES
    counted_per_scrape = (_own(last, "true") - _own(first, "true")) / SCRAPES
    print(f"Lookout's load on TBURN: {per_scrape:.2f} requests/scrape, {counted_per_scrape:.2f} counted by TBURN")
    # The health collector exports the counts as they stand when /health answers, so each
    # reading may miss up to the other four requests of its own scrape (±4 over SCRAPES).
    assert round(per_scrape) == 5
    assert round(counted_per_scrape) == 2


def test_the_simulators_pipeline_follows_tburns_health_rule(fresh_sim, sim_exporter):
    """Stopped (TBURN's default without ENABLE_BLOCK_PIPELINE) is healthy; running with no
    block for 5 s is not; a restart (POST stop, POST start) ends the stall."""
    import time
    fresh_sim.inject("pipeline-stopped")
    m = scrape(sim_exporter.url)
    assert (m["tburn_pipeline_running"], m["tburn_pipeline_healthy"]) == (0, 1)
    fresh_sim.reset()
    fresh_sim.inject("pipeline-stalled")
    time.sleep(5.2)
    m = scrape(sim_exporter.url)
    assert (m["tburn_pipeline_running"], m["tburn_pipeline_healthy"]) == (1, 0)
    assert m["tburn_pipeline_last_block_age_seconds"] >= 5
    for action in ("/api/pipeline/stop", "/api/pipeline/start"):
        assert fresh_sim.control("POST", action)[0] == 200
    m = scrape(sim_exporter.url)
    assert (m["tburn_pipeline_running"], m["tburn_pipeline_healthy"]) == (1, 1)
