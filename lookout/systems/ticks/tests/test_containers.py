"""The collector's container against a real Docker engine: crash loops, health checks,
OOM kills, memory, and containers that vanish in the middle of a scrape."""
from __future__ import annotations

import threading
import time
import uuid
from datetime import datetime

import pytest

from lookout.exporters.runtime import Deadline, MetricSet
from lookout.systems.ticks.exporter.config import DockerConfig
from lookout.systems.ticks.exporter.containers import ContainerCollector, memory_of
from lookout.systems.ticks.exporter.dockerapi import DockerDaemon
from lookout.systems.ticks.exporter.logs import LogCollector
from lookout.devstack.proc import Metrics, promtool_check_metrics, scrape, wait_until

SLEEP = ["sleep", "1000"]
SECOND = 1_000_000_000  # Docker durations are nanoseconds


@pytest.fixture
def group(docker_engine):
    """A label value unique to the test, so its exporter sees only its own containers."""
    value = uuid.uuid4().hex[:8]
    yield value
    for c in docker_engine.client().containers.list(all=True, filters={"label": f"lookout.test={value}"}):
        c.remove(force=True)


def run(engine, group, name, command, **kw):
    labels = {"lookout.test": group, "com.example.secret-ish": "label-value-never-copied"}
    return engine.run(command, name=f"{name}-{group}", labels=labels, **kw)


def docker_cfg(engine, group, **kw) -> dict:
    return {"host": engine.host, "labels": {"lookout.test": group}, **kw}


def state(m: Metrics, metric: str, container: str) -> str:
    current = [s.labels[metric] for s in m.all(metric) if s.labels["container"] == container and s.value == 1]
    assert len(current) <= 1
    return current[0] if current else ""


def test_health_oom_crash_loop_and_memory(docker_engine, group, table, exporter):
    e = docker_engine
    run(e, group, "healthy", SLEEP, healthcheck={"test": ["CMD", "true"], "interval": SECOND // 2, "retries": 1})
    run(e, group, "unhealthy", SLEEP, healthcheck={"test": ["CMD", "false"], "interval": SECOND // 2, "retries": 1})
    run(e, group, "starting", SLEEP, healthcheck={"test": ["CMD", "true"], "interval": 600 * SECOND,
                                                  "start_period": 600 * SECOND})
    run(e, group, "oom", ["sh", "-c", "sleep 0.5; dd if=/dev/zero of=/dev/null bs=64M count=4"],
        mem_limit="16m", memswap_limit="16m")
    run(e, group, "crashloop", ["sh", "-c", "echo 'ERROR: crashed'; exit 3"], restart_policy={"Name": "always"})
    limited = run(e, group, "limited", SLEEP, mem_limit="32m")
    exp = exporter({"tables": [{"name": table()}],
                    "docker": docker_cfg(e, group, containers=[], max_containers=20)})

    def settled():
        m = scrape(exp.url)
        return m if (state(m, "ticks_container_health", f"unhealthy-{group}") == "unhealthy"
                     and state(m, "ticks_container_health", f"healthy-{group}") == "healthy"
                     and m.get("ticks_container_oom_killed", container=f"oom-{group}") == 1
                     and m.get("ticks_container_restarts_total", container=f"crashloop-{group}") >= 2) else None
    m = wait_until(settled, timeout=30, interval=0.3, what="health, OOM and restarts to show")

    assert m.get("lookout_collector_success", collector="containers") == 1
    assert state(m, "ticks_container_health", f"starting-{group}") == "starting"
    assert state(m, "ticks_container_health", f"limited-{group}") == "none"
    # OOM-killed: exited with 137, not running
    assert m.get("ticks_container_exit_code", container=f"oom-{group}") == 137
    assert m.get("ticks_container_running", container=f"oom-{group}") == 0
    assert state(m, "ticks_container_status", f"oom-{group}") == "exited"
    assert m.get("ticks_container_oom_killed", container=f"healthy-{group}") == 0
    # crash loop: between runs it is "restarting" with its exit code (Docker zeroes the code
    # while it runs again), and the restart count keeps rising
    crash = f"crashloop-{group}"
    wait_until(lambda: (lambda m: state(m, "ticks_container_status", crash) == "restarting"
                        and m.get("ticks_container_exit_code", container=crash) == 3
                        and m.get("ticks_container_running", container=crash) == 0)(scrape(exp.url)),
               timeout=30, interval=0.1, what="the crash loop between two runs")
    restarts = m.get("ticks_container_restarts_total", container=f"crashloop-{group}")
    wait_until(lambda: scrape(exp.url).get("ticks_container_restarts_total", container=f"crashloop-{group}") > restarts,
               timeout=30, interval=0.3, what="another restart")
    # memory: the limit exactly, usage as docker stats computes it from the same daemon
    lbl = {"container": f"limited-{group}"}
    assert m.get("ticks_container_memory_limit_bytes", **lbl) == 32 * 1024 * 1024
    usage, _ = memory_of(limited.stats(stream=False, one_shot=True))
    assert 0 < m.get("ticks_container_memory_usage_bytes", **lbl) <= 32 * 1024 * 1024
    assert abs(m.get("ticks_container_memory_usage_bytes", **lbl) - usage) <= 1024 * 1024
    assert m.get("ticks_container_running", **lbl) == 1
    assert state(m, "ticks_container_status", f"limited-{group}") == "running"
    limited.reload()
    started = datetime.fromisoformat(limited.attrs["State"]["StartedAt"][:26] + "+00:00").timestamp()
    assert abs(m.get("ticks_container_start_time_seconds", **lbl) - started) < 1e-5
    # no container label is copied, and the exposition follows the conventions
    assert "label-value-never-copied" not in m.text and "secret-ish" not in m.text
    for s in m.samples:
        if s.name.startswith("ticks_container_"):
            assert set(s.labels) <= {"container", "ticks_container_status", "ticks_container_health"}
    assert promtool_check_metrics(m.text) == ""


def test_a_named_container_that_does_not_exist_is_not_running(docker_engine, group, table, exporter):
    exp = exporter({"tables": [{"name": table()}],
                    "docker": {"host": docker_engine.host, "containers": [f"eth-collector-{group}"]}})
    m = scrape(exp.url)
    assert m.get("lookout_collector_success", collector="containers") == 1
    assert m.get("ticks_container_running", container=f"eth-collector-{group}") == 0
    assert state(m, "ticks_container_status", f"eth-collector-{group}") == ""


@pytest.mark.parametrize("collector_class", [ContainerCollector, LogCollector])
def test_container_removed_between_list_and_inspect(docker_engine, group, collector_class):
    """The real engine, with the container removed at exactly the worst moment."""
    keep = run(docker_engine, group, "keep", SLEEP)
    doomed = run(docker_engine, group, "doomed", SLEEP)
    removed = []

    class RemovesOneMidScrape(collector_class):
        def _listed(self, summaries):
            assert {s["name"] for s in summaries} == {keep.name, doomed.name}
            doomed.remove(force=True)
            removed.append(doomed.name)

    daemon = DockerDaemon(DockerConfig(host=docker_engine.host, labels={"lookout.test": group}))
    collector = RemovesOneMidScrape(daemon, daemon.cfg.logs) if collector_class is LogCollector \
        else RemovesOneMidScrape(daemon)
    out = MetricSet("ticks")

    try:
        collector.collect(out, Deadline(20))  # must not raise
    finally:
        collector.close()

    assert removed == [doomed.name]
    names = {s.labels["container"] for fam in out.families() for s in fam.samples}
    assert keep.name in names and doomed.name not in names


def test_containers_coming_and_going_never_break_a_scrape(docker_engine, group, table, exporter):
    exp = exporter({"tables": [{"name": table()}], "docker": docker_cfg(docker_engine, group)})
    run(docker_engine, group, "steady", SLEEP)
    stop = threading.Event()
    churned = [0]

    def churn():
        while not stop.is_set() and churned[0] < 200:
            c = run(docker_engine, group, f"churn{churned[0]}", ["sh", "-c", "echo ERROR once; sleep 0.2"])
            c.remove(force=True)
            churned[0] += 1
    worker = threading.Thread(target=churn)
    worker.start()
    scrapes, end = 0, time.monotonic() + 8
    try:
        while time.monotonic() < end or scrapes < 5:
            scrapes += 1
            m = scrape(exp.url)
            assert m.get("lookout_collector_success", collector="containers") == 1, m.text
            assert m.get("lookout_collector_success", collector="logs") == 1, m.text
            assert m.get("ticks_container_running", container=f"steady-{group}") == 1
    finally:
        stop.set()
        worker.join()
    assert churned[0] >= 3


@pytest.mark.parametrize("stats, expected", [
    ({"memory_stats": {"usage": 100, "limit": 1000, "stats": {"total_inactive_file": 30}}}, (70.0, 1000.0)),  # v1
    ({"memory_stats": {"usage": 100, "limit": 1000, "stats": {"inactive_file": 40}}}, (60.0, 1000.0)),        # v2
    ({"memory_stats": {"usage": 100, "limit": 1000, "stats": {"total_inactive_file": 300}}}, (100.0, 1000.0)),
    ({"memory_stats": {}}, (None, None)),  # not running
])
def test_memory_is_net_of_inactive_file_cache_like_docker_stats(stats, expected):
    assert memory_of(stats) == expected


def test_short_scrape_deadlines_are_kept_and_memory_still_arrives(docker_engine, group, table, exporter):
    """Docker answers stats only at its 1 s sampling tick; a 0.6 s deadline must not fail."""
    c = run(docker_engine, group, "fast", SLEEP, mem_limit="64m")
    exp = exporter({"tables": [{"name": table()}], "docker": docker_cfg(docker_engine, group),
                    "scrape": {"timeout_offset_seconds": 0.1}})
    seen_memory = 0
    for _ in range(8):
        t0 = time.monotonic()
        m = scrape(exp.url, timeout_header=0.6)
        # The exporter's own deadline is 0.5 s (0.6 less the offset), which its collector keeps;
        # the round trip may add a loaded machine's scheduling, never Docker's 1 s tick.
        assert time.monotonic() - t0 < 0.9
        assert m.get("lookout_collector_duration_seconds", collector="containers") <= 0.5
        assert m.get("lookout_collector_success", collector="containers") == 1, m.text
        assert m.get("ticks_container_running", container=c.name) == 1
        if m.get("ticks_container_memory_limit_bytes", container=c.name) == 64 * 1024 * 1024:
            seen_memory += 1
        time.sleep(0.2)
    assert seen_memory >= 4  # from the sample fetched in the background once the first wait ran out


def test_logs_of_containers_with_and_without_a_tty_are_counted_alike(docker_engine, group):
    """The real engine sends a TTY container's log as raw text and the others' as stdcopy
    frames (Engine API, "Stream format"): both are read line by line."""
    daemon = DockerDaemon(DockerConfig(host=docker_engine.host, labels={"lookout.test": group}))
    collector = LogCollector(daemon, daemon.cfg.logs)  # counting starts now
    script = ["sh", "-c", "for i in 1 2 3 4 5; do echo \"ERROR number $i\"; done; echo 'STATS | Ticks: 42'; sleep 1000"]
    plain = run(docker_engine, group, "plain", script)
    tty = run(docker_engine, group, "tty", script, tty=True)

    def counted():
        out = MetricSet("ticks")
        collector.collect(out, Deadline(5))
        return {(s.labels["container"], s.labels.get("event")): s.value for fam in out.families()
                for s in fam.samples if s.name in ("ticks_log_events_total", "ticks_log_reported_ticks")}
    want = {(c.name, e): n for c in (plain, tty) for e, n in (("error", 5), ("stats", 1), (None, 42))}
    try:
        wait_until(lambda: {k: v for k, v in counted().items() if k in want} == want, timeout=15, interval=0.2,
                   what=f"{want} (last {counted()})")
    finally:
        collector.close()
