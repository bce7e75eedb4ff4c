"""The Nectar process (a real stand-in process found by psutil) and Nectar's log file."""
import os
import subprocess

import psutil

from lookout.devstack.proc import promtool_check_metrics, scrape

from .conftest import write_config


def test_process_found_by_cmdline_then_gone(mariadb, exporter, tmp_path):
    # A real process whose command line names a fake Nectar binary: the matching is what is tested.
    stand_in = subprocess.Popen(["sleep", "3600", "--", "nectar-indexer-standin"][:2])
    pidfile = tmp_path / "nectar.pid"
    pidfile.write_text(str(stand_in.pid))
    try:
        proc = exporter(write_config(tmp_path / "c.yml", mariadb, process={"pidfile": str(pidfile)}))
        m = scrape(proc.url)
        assert m["nectar_process_up"] == 1
        p = psutil.Process(stand_in.pid)
        assert abs(m["nectar_process_resident_memory_bytes"] - p.memory_info().rss) < 1 << 20
        assert m["nectar_process_threads"] == p.num_threads()
        assert m["nectar_process_open_fds"] == p.num_fds()
        assert m["nectar_process_start_time_seconds"] == p.create_time()
        assert promtool_check_metrics(m.text) == ""
    finally:
        stand_in.kill()
        stand_in.wait()
    m = scrape(proc.url)
    assert m["nectar_process_up"] == 0
    assert m.get("lookout_collector_success", collector="process") == 1  # absence observed, not a failure
    assert m.get("nectar_process_resident_memory_bytes") is None


def test_process_found_by_cmdline_regex(mariadb, exporter, tmp_path):
    stand_in = subprocess.Popen(["sleep", "3601"])
    try:
        proc = exporter(write_config(tmp_path / "c.yml", mariadb, process={"cmdline_regex": r"^sleep 3601$"}))
        assert scrape(proc.url)["nectar_process_up"] == 1
    finally:
        stand_in.kill()
        stand_in.wait()


# Lines in the formats of honeycomb-tech/nectar database/connection_recovery.go (through Go's
# log package: "2006/01/02 15:04:05 " prefix); the values are ours.
GO = "2026/01/13 10:00:{:02d} [ConnectionRecovery] "


def test_reconnection_episodes_follow_rotation_and_truncation(mariadb, exporter, tmp_path):
    log = tmp_path / "nectar.log"
    log.write_text(GO.format(0) + "Health check failed: before the exporter started\n")
    proc = exporter(write_config(tmp_path / "c.yml", mariadb, logfile={"path": str(log)}))

    def counts():
        m = scrape(proc.url)
        events = {s.labels["event"]: s.value for s in m.all("nectar_log_events_total")}
        return m["nectar_reconnect_episodes_total"], m["nectar_reconnect_giveups_total"], events["connected"]

    assert counts() == (0, 0, 0)  # history is not news
    with log.open("a") as f:
        # One outage: a failed health check, then retries; each retry prints two lines.
        f.write(GO.format(1) + "Health check failed: dial tcp 127.0.0.1:4000: connect: connection refused\n")
        f.write(GO.format(1) + "Attempting automatic recovery...\n")
        f.write(GO.format(1) + "Reconnect attempt 1/10 failed: ping failed: connection refused\n")
        f.write(GO.format(1) + "Waiting 1s before reconnect attempt 2/10\n")
        f.write(GO.format(2) + "Reconnect attempt 2/10 failed: ping failed: connection refused\n")
        f.write(GO.format(2) + "Waiting 2s before reconnect attempt 3/10\n")
        f.write(GO.format(4) + "Database conn")
    assert counts() == (1, 0, 0)
    with log.open("a") as f:  # the half-written line completes: the episode is over
        f.write("ection established successfully\n")
    assert counts() == (1, 0, 1)
    assert counts() == (1, 0, 1)  # scraping again counts nothing twice

    # logrotate's rename: a new outage starts in the old file, gives up in the new one.
    rotated = tmp_path / "nectar.log.1"
    os.rename(log, rotated)
    with rotated.open("a") as f:
        f.write(GO.format(30) + "Health check failed: dial tcp 127.0.0.1:4000: i/o timeout\n")
    log.write_text(GO.format(59) + "Automatic recovery failed: failed to reconnect after 10 attempts\n")
    assert counts() == (2, 1, 1)

    # copytruncate: the file shrinks in place and starts again.
    with log.open("w") as f:
        f.write("2026/01/13 11:00:00 [ConnectionRecovery] Health check failed: connection reset\n")
    assert counts() == (3, 1, 1)


def test_reconnection_episodes_from_unified_errors_log(mariadb, exporter, tmp_path):
    """errors/unified_error_system.go logToFile: "[ts] Type | Component.Operation | message"."""
    unified = tmp_path / "unified_errors.log"
    unified.write_text("")
    proc = exporter(write_config(tmp_path / "c.yml", mariadb, logfile={"unified_errors_path": str(unified)}))
    assert scrape(proc.url)["nectar_reconnect_episodes_total"] == 0
    with unified.open("a") as f:
        f.write("[2026-01-13 10:00:00.120] Connection | Worker3.HealthCheck | ping failed: connection refused\n")
        f.write("[2026-01-13 10:00:01.130] Connection | Worker3.Reconnect | retry 1/5: connection refused\n")
        f.write("  nectar/database.(*Worker).reconnect (/src/nectar/database/worker.go:88)\n")  # a stack line
        f.write("[2026-01-13 10:00:03.140] Connection | Worker5.Reconnect | retry 1/5: connection refused\n")
        f.write("[2026-01-13 10:00:04.000] Processing | BlockProcessor.ProcessBlock | invalid witness\n")
        # Five minutes later on worker 3: another outage, which ends in a give-up.
        f.write("[2026-01-13 10:05:00.000] Connection | Worker3.Reconnect | retry 1/5: i/o timeout\n")
        f.write("[2026-01-13 10:05:10.000] Connection | Worker3.Recovery | failed to reconnect after 5 attempts\n")
    m = scrape(proc.url)
    # Workers 3 and 5 echo the same outage: one episode; five minutes later, another.
    assert m["nectar_reconnect_episodes_total"] == 2
    assert m["nectar_reconnect_giveups_total"] == 1
    assert m.get("nectar_log_events_total", event="connected") is None  # no stdout log configured


# honeycomb-tech/nectar 45d9dbda main.go (the block worker loop), as errors/
# unified_error_system.go logToFile writes them: "[ts] <Type> | <Component>.<Operation> | <message>".
WORKER_RETRY = ("[2026-01-13 10:00:0{s}.000] Database | Worker.Worker{w}.Retry | connection error at slot {slot}"
                " (attempt 1/4): invalid connection\n")
WORKER_DROP = ("[2026-01-13 10:00:0{s}.500] Processing | BlockWorker.Worker{w} | failed to process block at slot"
               " {slot} after 4 attempts: invalid connection\n")
WORKER_SLOT = ("[2026-01-13 10:00:0{s}.501] Processing | BlockWorker.Worker{w} | slot {slot}: invalid connection\n")


def test_every_worker_echoing_one_outage_is_one_episode_and_dropped_blocks_are_counted(mariadb, exporter, tmp_path):
    unified = tmp_path / "unified_errors.log"
    unified.write_text("")
    proc = exporter(write_config(tmp_path / "c.yml", mariadb, logfile={"unified_errors_path": str(unified)}))
    m = scrape(proc.url)
    assert m["nectar_reconnect_episodes_total"] == 0 and m["nectar_blocks_dropped_total"] == 0
    with unified.open("a") as f:
        for w in range(1, 9):  # eight workers, one database outage
            f.write(WORKER_RETRY.format(s=w % 5, w=w, slot=1000 + w))
        for w in (2, 7):       # two of them give their block up after the retries
            f.write(WORKER_DROP.format(s=6, w=w, slot=1000 + w))
            f.write(WORKER_SLOT.format(s=6, w=w, slot=1000 + w))
    m = scrape(proc.url)
    assert m["nectar_reconnect_episodes_total"] == 1
    assert m["nectar_blocks_dropped_total"] == 2


def test_log_file_absent_at_start_is_read_from_its_start_once_created(mariadb, exporter, tmp_path):
    log = tmp_path / "later.log"
    proc = exporter(write_config(tmp_path / "c.yml", mariadb, logfile={"path": str(log)}))
    assert scrape(proc.url).get("nectar_log_events_total", event="error") == 0
    log.write_text("panic: runtime error\n")
    # The file did not exist when the exporter started, so all of it is new.
    assert scrape(proc.url).get("nectar_log_events_total", event="error") == 1


def test_a_read_of_the_log_that_hangs_fails_the_next_run_by_its_deadline_not_later(tmp_path):
    """Runs of a collector may overlap (issue 24): the tails are read by one run at a time, and
    one that cannot have them before its deadline fails with reason `timeout`. The hang is real:
    opening a FIFO for reading blocks until a writer comes, as a stalled network mount would."""
    import threading
    import time

    from lookout.exporters.runtime import CollectError, Deadline, MetricSet
    from lookout.systems.nectar.exporter.config import LogFileConfig
    from lookout.systems.nectar.exporter.logfile import LogFileCollector

    fifo = tmp_path / "nectar.log"
    os.mkfifo(fifo)
    collector = LogFileCollector(LogFileConfig(path=str(fifo)))
    hung = threading.Thread(target=lambda: collector.collect(MetricSet("nectar"), Deadline(30)), daemon=True)
    hung.start()
    time.sleep(0.3)
    assert hung.is_alive()  # blocked opening the log
    errors = []

    def second():
        try:
            collector.collect(MetricSet("nectar"), Deadline(0.5))
        except CollectError as exc:
            errors.append(exc)
    t0 = time.monotonic()
    late = threading.Thread(target=second, daemon=True)  # a thread: a second reader would hang too
    late.start()
    late.join(5)
    assert not late.is_alive(), "the second run waited past its deadline"
    assert 0.4 <= time.monotonic() - t0 < 1.5
    assert [e.reason for e in errors] == ["timeout"]
    writer = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)  # the read comes back on its own
    try:
        hung.join(10)
        assert not hung.is_alive()
        out = MetricSet("nectar")
        collector.collect(out, Deadline(2))  # and the next run has the tails again
        assert "nectar_reconnect_episodes" in {f.name for f in out.families()}
    finally:
        os.close(writer)
        collector.close()
