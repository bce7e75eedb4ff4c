"""Issue 22 with a real PM2: cluster mode (`instances: N`, exec_mode cluster) with separate and
merged logs, and an expected process absent altogether after its daemon was killed and a
fresh, empty one answers."""
from __future__ import annotations

import pytest

from lookout.devstack.pm2 import PM2
from lookout.devstack.proc import scrape, wait_until

from .conftest import APPS, get, write_config

APP = "rss-sync-server"
INSTANCES = 3


@pytest.fixture(params=[False, True], ids=["separate-logs", "merged-logs"])
def cluster(request, tmp_path):
    pm2 = PM2(tmp_path / "pm2home")
    trigger = tmp_path / "trigger"
    trigger.write_text("0\n")
    try:
        pm2.start_app(name=APP, script=str(APPS / "sync-lines.js"), exec_mode="cluster", instances=INSTANCES,
                      merge_logs=request.param, env={"TRIGGER": str(trigger), "COMPLETED": "3", "FAILED": "2"})
        wait_until(lambda: sum(p["pm2_env"]["status"] == "online" for p in pm2.jlist()) == INSTANCES, 30,
                   what="every instance online")
        pm2.trigger, pm2.merged = trigger, request.param
        yield pm2
    finally:
        pm2.kill_all()


def _fire(pm2: PM2, generation: int) -> None:
    done = pm2.trigger.with_name("trigger.done")
    before = len(done.read_text().split()) if done.exists() else 0
    # Whole or not at all: an instance polling between a truncate and a write would read "".
    pending = pm2.trigger.with_name("trigger.new")
    pending.write_text(f"{generation}\n")
    pending.replace(pm2.trigger)
    # 30 s: PM2's instances notice the trigger file on their own poll, slower on a loaded machine.
    wait_until(lambda: len(done.read_text().split()) == before + INSTANCES, 30, what="every instance printed")


def test_sync_log_counts_are_the_sum_over_instances(cluster, exporter, tmp_path):
    procs = [p for p in cluster.jlist() if p["name"] == APP]
    out_logs = {p["pm2_env"]["pm_out_log_path"] for p in procs}
    assert len(out_logs) == (1 if cluster.merged else INSTANCES)  # PM2's own layout, as configured
    exp = exporter(write_config(tmp_path / "pm2.yaml", cluster.home, health=None))
    m = scrape(exp.url)
    assert m.get("pm2_sync_completed_total") == 0
    _fire(cluster, 1)
    _fire(cluster, 2)

    seen = []

    def counted():
        # PM2 writes each instance's stdout and stderr through its daemon, each stream on its
        # own: the error lines may land after the last completed line was read.
        m = scrape(exp.url)
        seen[:] = [m.get("pm2_sync_completed_total"), m.get("pm2_sync_api_errors_total")]
        return m if seen == [2 * 3 * INSTANCES, 2 * 2 * INSTANCES] else None
    try:
        m = wait_until(counted, 30, what="the lines of every instance")
    except TimeoutError as exc:
        raise AssertionError(f"completed and API errors last read {seen}") from exc
    assert m.get("pm2_sync_last_duration_seconds") == 1.002
    assert m.get("lookout_collector_success", collector="sync_log") == 1


# Separate logs only: with one merged file nothing is dropped when an instance goes (a
# skip inside the test started and stopped a whole cluster first).
@pytest.mark.parametrize("cluster", [False], ids=["separate-logs"], indirect=True)
def test_lines_of_an_instance_scaled_away_still_count(cluster, exporter, tmp_path):
    assert not cluster.merged
    exp = exporter(write_config(tmp_path / "pm2.yaml", cluster.home, health=None))
    assert scrape(exp.url).get("pm2_sync_completed_total") == 0
    _fire(cluster, 1)  # every instance prints, and nobody scrapes before one is scaled away
    cluster.run("scale", APP, str(INSTANCES - 1))
    wait_until(lambda: sum(p["name"] == APP for p in cluster.jlist()) == INSTANCES - 1, 30, what="the scale-down")
    m = scrape(exp.url)
    assert m.get("pm2_sync_completed_total") == 3 * INSTANCES
    assert m.get("pm2_sync_api_errors_total") == 2 * INSTANCES


def test_restarts_per_name_add_up_over_instances(cluster, exporter, tmp_path):
    exp = exporter(write_config(tmp_path / "pm2.yaml", cluster.home, health=None))
    cluster.run("restart", APP)
    expected = sum(p["pm2_env"]["restart_time"] for p in cluster.jlist() if p["name"] == APP)
    assert expected == INSTANCES  # PM2 restarted each instance once
    m = scrape(exp.url)
    series = [s for s in m.samples if s.name == "pm2_process_restarts_total" and s.labels.get("name") == APP]
    assert len(series) == INSTANCES and sum(s.value for s in series) == expected
    assert len({s.labels["pm_id"] for s in series}) == INSTANCES


def test_an_expected_process_absent_altogether_reads_zero(tmp_path, exporter):
    pm2 = PM2(tmp_path / "pm2home")
    try:
        pm2.start(APPS / "idle.js", APP)
        exp = exporter(write_config(tmp_path / "pm2.yaml", pm2.home, health=None,
                                    daemon={"home": str(pm2.home), "expected_processes": [APP, "absent-app"]}))
        m = scrape(exp.url)
        assert get(m, "pm2_expected_process_instances", name=APP) == 1
        assert get(m, "pm2_expected_process_instances", name="absent-app") == 0
        # The daemon killed, its app lost with it, and a fresh empty daemon answering.
        pm2.hard_kill_daemon()
        pm2.kill_all()
        pm2.run("ping")  # starts an empty daemon, as any pm2 command would
        m = wait_until(lambda: (lambda m: m if m.get("pm2_up") == 1 else None)(scrape(exp.url)), 15,
                       what="the new daemon answering")
        assert m.get("pm2_processes") == 0
        assert get(m, "pm2_process_up", name=APP) is None  # no status at all ...
        assert get(m, "pm2_expected_process_instances", name=APP) == 0  # ... yet known to be missing
    finally:
        pm2.kill_all()


def test_one_process_list_read_per_scrape(cluster):
    """The processes and sync-log collectors of one scrape share one call to the daemon."""
    from concurrent.futures import ThreadPoolExecutor

    from lookout.systems.pm2.exporter.config import DaemonConfig, SyncLogConfig
    from lookout.systems.pm2.exporter.processes import ProcessesCollector, ProcessSource
    from lookout.systems.pm2.exporter.synclog import SyncLogCollector
    from lookout.exporters.runtime import Deadline, MetricSet

    source = ProcessSource(DaemonConfig(home=str(cluster.home)))
    calls = []
    real_call = source.rpc.call

    def counting(*args, **kw):
        calls.append(args[0])
        return real_call(*args, **kw)
    source.rpc.call = counting
    collectors = [ProcessesCollector(source, 64), SyncLogCollector(source, SyncLogConfig(process_name=APP))]

    def scrape_once():
        deadline = Deadline(5)
        # A thread per collector, started together, as the runtime runs one collection.
        with ThreadPoolExecutor(len(collectors)) as threads:
            for run in [threads.submit(c.collect, MetricSet("pm2"), deadline) for c in collectors]:
                run.result()
    for n in (1, 2):
        scrape_once()
        assert calls == ["getMonitorData"] * n
