"""Slow, hung or absent endpoints never hold a scrape past its deadline."""
import time

from lookout.devstack.proc import free_port, scrape, wait_until
from lookout.devstack.simulator import SimulatorProcess

from lookout.systems.tburn.simulator.faults import ENDPOINTS

# The exporter's collectors (db_pool is off by default) and the simulator routes behind them.
DATA = ["system_health", "memory_guardian", "memory_governor", "request_shedder",
        "circuit_breakers", "pipeline", "shards"]
SIM_DATA = [name for name in ENDPOINTS if name != "health"]


def _timed_scrape(url, timeout_header=None):
    start = time.monotonic()
    m = scrape(url, timeout_header=timeout_header)
    return m, time.monotonic() - start


def test_slow_endpoints_past_the_deadline(fresh_sim, sim_exporter):
    fresh_sim.inject("slow-responses", delay=10, endpoints=SIM_DATA)
    m, elapsed = _timed_scrape(sim_exporter.url, timeout_header=2)
    assert elapsed < 2.0, elapsed
    assert m["tburn_up"] == 1  # /health was fast
    for c in DATA:
        assert m.get("lookout_collector_success", collector=c) == 0, c
        assert m.get("lookout_collector_errors_total", collector=c, reason="timeout") >= 1, c
    assert m.get("tburn_heap_ratio") is None


def test_everything_hung_still_answers_in_time(fresh_sim, sim_exporter):
    fresh_sim.inject("slow-responses", delay=10)
    m, elapsed = _timed_scrape(sim_exporter.url, timeout_header=1.5)
    assert elapsed < 1.5, elapsed
    assert m["tburn_up"] == 0
    fresh_sim.clear("slow-responses")
    assert scrape(sim_exporter.url, timeout_header=5)["tburn_up"] == 1  # recovers by itself


def test_per_endpoint_timeout_inside_a_long_deadline(fresh_sim, exporter, write_config, tmp_path):
    cfg = write_config(tmp_path / "c.yml", fresh_sim.url, timeout_seconds=3,
                       endpoints={"shards": {"timeout_seconds": 0.3}})
    proc = exporter(cfg)
    fresh_sim.inject("slow-responses", delay=2, endpoints=["sharding_status"])
    m, elapsed = _timed_scrape(proc.url)  # no header: the 10 s default deadline
    assert elapsed < 1.5, elapsed
    assert m.get("lookout_collector_errors_total", collector="shards", reason="timeout") == 1
    assert m.get("lookout_collector_success", collector="pipeline") == 1


def test_endpoints_are_fetched_concurrently(fresh_sim, exporter, write_config, tmp_path):
    """Eight routes 0.5 s each fit a 2 s deadline only when fetched at once."""
    fresh_sim.inject("slow-responses", delay=0.5)
    concurrent = exporter(write_config(tmp_path / "a.yml", fresh_sim.url))
    m = scrape(concurrent.url, timeout_header=2.5)
    assert [m.get("lookout_collector_success", collector=c) for c in ["health", *DATA]] == [1] * 8
    one_by_one = exporter(write_config(tmp_path / "b.yml", fresh_sim.url, max_concurrency=1))
    m = scrape(one_by_one.url, timeout_header=2.5)
    assert sum(m.get("lookout_collector_success", collector=c) for c in ["health", *DATA]) <= 4


def test_backend_absent_then_started(exporter, write_config, tmp_path):
    port = free_port()
    proc = exporter(write_config(tmp_path / "c.yml", f"http://127.0.0.1:{port}"))
    m, elapsed = _timed_scrape(proc.url, timeout_header=3)
    assert elapsed < 3
    assert m["tburn_up"] == 0
    assert m.get("lookout_collector_errors_total", collector="health", reason="connection") == 1
    assert m.get("lookout_collector_errors_total", collector="shards", reason="connection") == 1
    sim = SimulatorProcess(tmp_path, port=port).wait_ready()
    try:
        m = wait_until(lambda: (lambda m: m if m["tburn_up"] == 1 else None)(scrape(proc.url, timeout_header=3)),
                       timeout=10, what="tburn_up back to 1")
        assert m["tburn_shards"] == 32
        assert proc.proc.poll() is None
    finally:
        sim.stop()
