"""Per-process metrics from the real PM2 daemon, checked against `pm2 jlist` at the same moment."""
import re
import time

import psutil

from lookout.devstack.pm2 import PM2_BIN
from lookout.devstack.proc import promtool_check_metrics, scrape, wait_until

from .conftest import APP_SECRET, get, write_config

MiB = 1024 ** 2


def labels_of(proc):
    return {"name": proc["name"], "pm_id": str(proc["pm_id"])}


def axm(proc, type_id):
    for entry in proc["pm2_env"].get("axm_monitor", {}).values():
        if entry.get("type") == type_id:
            return float(entry["value"])
    return None


AXM_TYPES = ("internal/v8/heap/used", "internal/v8/heap/total", "internal/v8/heap/usage",
             "internal/libuv/latency/p50", "internal/libuv/latency/p95", "internal/libuv/handles")


def within(value, a, b, rel=0.0, abs_=0.0):
    lo, hi = min(a, b), max(a, b)
    return lo - abs(lo) * rel - abs_ <= value <= hi + abs(hi) * rel + abs_


def test_values_match_pm2_jlist(pm2, exporter, tmp_path):
    exp = exporter(write_config(tmp_path / "pm2.yaml", pm2.home))
    # @pm2/io ships axm_monitor about a second after start, latency once it has samples
    wait_until(lambda: all(axm(pm2.by_name(pm2.jlist(), "rss-sync-server"), t) is not None for t in AXM_TYPES),
               20, 0.5, what="axm_monitor values")
    before = pm2.jlist()
    m = scrape(exp.url)
    after = pm2.jlist()
    now = time.time()

    assert m["pm2_up"] == 1 and m.get("pm2_daemon_up") is None
    assert m["pm2_processes"] == len(before) == len(after) == 4

    for name in ("rss-sync-server", "idle"):  # neither restarts: PM2's numbers hold still
        b, a = pm2.by_name(before, name), pm2.by_name(after, name)
        lbl = labels_of(b)
        env = b["pm2_env"]
        assert env["status"] == a["pm2_env"]["status"]
        assert get(m, "pm2_process_status", **lbl, pm2_process_status=env["status"]) == 1
        assert get(m, "pm2_process_up", **lbl) == (1 if env["status"] == "online" else 0)
        assert get(m, "pm2_process_restarts_total", **lbl) == env["restart_time"]
        assert get(m, "pm2_process_unstable_restarts_total", **lbl) == env["unstable_restarts"]
        assert get(m, "pm2_process_start_time_seconds", **lbl) == env["pm_uptime"] / 1000

    sync_b, sync_a = pm2.by_name(before, "rss-sync-server"), pm2.by_name(after, "rss-sync-server")
    lbl = labels_of(sync_b)
    assert get(m, "pm2_process_memory_limit_bytes", **lbl) == sync_b["pm2_env"]["max_memory_restart"] == 200 * MiB
    assert within(get(m, "pm2_process_memory_bytes", **lbl), sync_b["monit"]["memory"], sync_a["monit"]["memory"], rel=0.2)
    assert within(get(m, "pm2_process_cpu_ratio", **lbl), sync_b["monit"]["cpu"] / 100, sync_a["monit"]["cpu"] / 100,
                  abs_=0.1)
    assert abs(get(m, "pm2_process_uptime_seconds", **lbl) - (now - sync_b["pm2_env"]["pm_uptime"] / 1000)) < 3
    for metric, type_id, scale in (
            ("pm2_process_heap_used_bytes", "internal/v8/heap/used", MiB),
            ("pm2_process_heap_total_bytes", "internal/v8/heap/total", MiB),
            ("pm2_process_heap_usage_ratio", "internal/v8/heap/usage", 0.01)):
        assert within(get(m, metric, **lbl), axm(sync_b, type_id) * scale, axm(sync_a, type_id) * scale, rel=0.3), metric
    for quantile, type_id in (("0.5", "internal/libuv/latency/p50"), ("0.95", "internal/libuv/latency/p95")):
        got = get(m, "pm2_process_event_loop_latency_seconds", **lbl, quantile=quantile)
        assert within(got, axm(sync_b, type_id) / 1000, axm(sync_a, type_id) / 1000, rel=0.5, abs_=0.005), quantile
    assert within(get(m, "pm2_process_active_handles", **lbl),
                  axm(sync_b, "internal/libuv/handles"), axm(sync_a, "internal/libuv/handles"), abs_=2)

    idle = labels_of(pm2.by_name(before, "idle"))
    assert get(m, "pm2_process_status", **idle, pm2_process_status="stopped") == 1
    assert get(m, "pm2_process_status", **idle, pm2_process_status="online") == 0
    assert get(m, "pm2_process_up", **idle) == 0
    assert get(m, "pm2_process_uptime_seconds", **idle) == 0
    assert get(m, "pm2_process_memory_bytes", **idle) == 0
    assert get(m, "pm2_process_memory_limit_bytes", **idle) is None  # no max_memory_restart set

    crash_b, crash_a = pm2.by_name(before, "crashy"), pm2.by_name(after, "crashy")
    lbl = labels_of(crash_b)
    assert within(get(m, "pm2_process_restarts_total", **lbl),
                  crash_b["pm2_env"]["restart_time"], crash_a["pm2_env"]["restart_time"])
    assert within(get(m, "pm2_process_unstable_restarts_total", **lbl),
                  crash_b["pm2_env"]["unstable_restarts"], crash_a["pm2_env"]["unstable_restarts"])


def test_crash_loop_restarts_rise(pm2, exporter, tmp_path):
    exp = exporter(write_config(tmp_path / "pm2.yaml", pm2.home))
    first = scrape(exp.url)
    restarts = get(first, "pm2_process_restarts_total", name="crashy")
    unstable = get(first, "pm2_process_unstable_restarts_total", name="crashy")
    assert restarts is not None and unstable is not None
    later = wait_until(lambda: (lambda m: m if get(m, "pm2_process_restarts_total", name="crashy") >= restarts + 2
                                else None)(scrape(exp.url)), 20, what="crashy to restart twice more")
    now_restarts = get(later, "pm2_process_restarts_total", name="crashy")
    now_unstable = get(later, "pm2_process_unstable_restarts_total", name="crashy")
    assert now_unstable >= unstable + 1
    # Each run dies within min_uptime, so every exit is an unstable one; PM2 counts it at the
    # exit and the restart after the delay, so the two differ by at most the one in between.
    assert now_restarts <= now_unstable <= now_restarts + 1


def test_memory_limit_restart(pm2, exporter, tmp_path):
    """leaky grows past --max-memory-restart 100M; PM2's worker restarts it, and we see both.

    leaky stays above 60 MiB for only about a second of each cycle (40 MiB/s, PM2's worker
    checking every second in the devstack), so a loaded machine's slow scrape can miss it in one
    cycle: the test watches cycles until it has seen both the growth and a restart."""
    exp = exporter(write_config(tmp_path / "pm2.yaml", pm2.home))
    peak = 0.0
    start = get(scrape(exp.url), "pm2_process_restarts_total", name="leaky")

    def grown_and_restarted():
        nonlocal peak
        m = scrape(exp.url)
        assert get(m, "pm2_process_memory_limit_bytes", name="leaky") == 100 * MiB
        peak = max(peak, get(m, "pm2_process_memory_bytes", name="leaky") or 0)
        return peak > 0.6 * 100 * MiB and get(m, "pm2_process_restarts_total", name="leaky") > start
    try:
        wait_until(grown_and_restarted, 30, 0.1, what="leaky seen above 60 MiB, and restarted")
    except TimeoutError as exc:
        raise AssertionError(f"{exc}; memory seen peaked at {peak / MiB:.0f} MiB") from None
    log = (pm2.home / "pm2.log").read_text()
    assert "exceeds --max-memory-restart" in log


def test_exposition_is_clean(pm2, exporter, tmp_path):
    exp = exporter(write_config(tmp_path / "pm2.yaml", pm2.home))
    wait_until(lambda: get(scrape(exp.url), "pm2_process_heap_used_bytes", name="rss-sync-server"), 20)
    m = scrape(exp.url)
    assert promtool_check_metrics(m.text) == ""
    # nothing of pm2_env's copy of the environment, no pid, no path
    sync = pm2.by_name(pm2.jlist(), "rss-sync-server")
    assert APP_SECRET not in m.text and APP_SECRET not in exp.logs()
    assert str(pm2.home) not in m.text
    assert not re.search(rf'\b{sync["pid"]}\b', m.text.replace(f'pm_id="{sync["pm_id"]}"', ""))
    for s in m.samples:
        if s.name.startswith("pm2_process_"):
            assert set(s.labels) <= {"name", "pm_id", "quantile", "pm2_process_status"}, s


def test_reads_without_spawning(pm2, exporter, tmp_path):
    exp = exporter(write_config(tmp_path / "pm2.yaml", pm2.home))
    me = psutil.Process(exp.proc.pid)
    for _ in range(30):
        assert scrape(exp.url)["pm2_up"] == 1
        assert me.children(recursive=True) == []


def test_jlist_fallback_when_reply_unreadable(pm2, exporter, tmp_path):
    """A FAKE socket that answers garbage stands in for a PM2 whose wire format changed."""
    from lookout.devstack.pm2 import GarblingSocket
    with GarblingSocket(tmp_path / "garble.sock") as fake:
        without = exporter(write_config(tmp_path / "off.yaml", pm2.home, daemon={"rpc_socket": str(fake.path)}))
        m = scrape(without.url)
        assert m["pm2_up"] == 0 and m.get("pm2_daemon_up") is None
        assert get(m, "lookout_collector_errors_total", collector="processes", reason="protocol") >= 1

        with_fallback = exporter(write_config(tmp_path / "on.yaml", pm2.home, daemon={
            "rpc_socket": str(fake.path), "jlist_fallback": True, "pm2_command": str(PM2_BIN),
            "timeout_seconds": 10}))
        m = scrape(with_fallback.url, timeout_header=15)
        assert m["pm2_up"] == 1 and m.get("pm2_daemon_up") is None
        assert get(m, "pm2_process_status", name="idle", pm2_process_status="stopped") == 1
        assert m["pm2_processes"] == 4
        assert "falling back to pm2 jlist" in with_fallback.logs()


def test_max_processes_caps_the_labelled_series(pm2, exporter, tmp_path):
    exp = exporter(write_config(tmp_path / "pm2.yaml", pm2.home, daemon={"max_processes": 2}))
    m = scrape(exp.url)
    assert m["pm2_processes"] == 4
    assert sorted(s.labels["pm_id"] for s in m.all("pm2_process_up")) == ["0", "1"]


def test_reads_only_the_fields_it_uses(pm2):
    """Issue 24: of each process's pm2_env (its whole environment, the app's secret among it, about
    6 KB a process) only the fields the collectors read are decoded: less CPU and memory per
    scrape, and the secret is never held by the exporter. The fields read still come through."""
    from lookout.exporters.runtime import Deadline
    from lookout.systems.pm2.exporter.config import DaemonConfig
    from lookout.systems.pm2.exporter.processes import ProcessSource

    listed = pm2.by_name(pm2.jlist(), "rss-sync-server")
    assert listed["pm2_env"]["env"]["SYNC_DB_PASSWORD"] == APP_SECRET  # what PM2 sends

    procs = ProcessSource(DaemonConfig(home=str(pm2.home))).read(Deadline(5))
    sync = next(p for p in procs if p["name"] == "rss-sync-server")
    assert APP_SECRET not in repr(procs)
    assert set(sync) == {"name", "pm_id", "pm2_env", "monit"}  # not `pid`
    assert set(sync["pm2_env"]) <= {
        "name", "pm_id", "status", "restart_time", "unstable_restarts", "pm_uptime", "max_memory_restart",
        "axm_monitor", "pm_out_log_path", "pm_err_log_path"}
    env = sync["pm2_env"]
    assert (env["status"], env["max_memory_restart"], env["pm_uptime"]) == (
        listed["pm2_env"]["status"], 200 * MiB, listed["pm2_env"]["pm_uptime"])
    assert env["pm_out_log_path"] == listed["pm2_env"]["pm_out_log_path"]
    assert set(sync["monit"]) == {"memory", "cpu"}


def test_holds_no_process_list_between_scrapes(pm2):
    """Issue 24: once the collection's readers (the processes and sync-log collectors) have taken
    the scrape's process list, the exporter lets go of it. Scraped back to back, the shared call
    kept the last four lists (about 0.7 MB of objects each at 200 apps: 3 MB of the RSS)."""
    import gc

    from lookout.exporters.runtime import Deadline
    from lookout.exporters.runtime.scrape import Scraper
    from lookout.systems.pm2.exporter import build
    from lookout.systems.pm2.exporter.config import DaemonConfig, HostConfig, Pm2Config

    collectors = build(Pm2Config(daemon=DaemonConfig(home=str(pm2.home)), health=None, host=HostConfig(enabled=False)))
    assert [c.name for c in collectors] == ["processes", "sync_log"]
    scraper = Scraper("pm2", collectors, "test")
    for _ in range(3):
        snap = scraper.snapshot(Deadline(5))
        assert snap.metrics.families()  # the collection worked
    del snap

    def process_lists(root) -> list:
        """The lists of process descriptions reachable from `root`."""
        seen, todo, found = set(), [root], []
        while todo:
            obj = todo.pop()
            if id(obj) in seen or isinstance(obj, type):
                continue
            seen.add(id(obj))
            if isinstance(obj, list) and obj and all(isinstance(p, dict) and "pm2_env" in p for p in obj):
                found.append(obj)
            todo.extend(gc.get_referents(obj))
        return found

    assert process_lists(collectors[0].source) == []
