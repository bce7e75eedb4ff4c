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


def test_log_counters_follow_rotation_and_truncation(mariadb, exporter, tmp_path):
    log = tmp_path / "nectar.log"
    log.write_text("[ConnectionRecovery] Reconnect attempt 1 before the exporter started\n")
    proc = exporter(write_config(tmp_path / "c.yml", mariadb, logfile={"path": str(log)}))

    def events():
        m = scrape(proc.url)
        return {s.labels["event"]: s.value for s in m.all("nectar_log_events_total")}

    assert events() == {"reconnect": 0, "giveup": 0, "connected": 0, "error": 0}  # history is not news
    with log.open("a") as f:
        f.write("[ConnectionRecovery] Reconnect attempt 2/10 in 2s\n")
        f.write("ERROR dial tcp 127.0.0.1:4100: connection refused\n")
        f.write("[ConnectionRecovery] Reconnect attempt 3/10 in 4s\n[ConnectionRecovery] Database conn")
    assert events() == {"reconnect": 2, "giveup": 0, "connected": 0, "error": 1}
    with log.open("a") as f:  # the half-written line completes
        f.write("ection established successfully\n")
    assert events() == {"reconnect": 2, "giveup": 0, "connected": 1, "error": 1}
    assert events()["connected"] == 1  # scraping again counts nothing twice

    # logrotate's rename: a last line lands in the old file after the rename, then a new file.
    rotated = tmp_path / "nectar.log.1"
    os.rename(log, rotated)
    with rotated.open("a") as f:
        f.write("[ConnectionRecovery] Reconnect attempt 4/10\n")
    log.write_text("[ConnectionRecovery] Giving up: maximum reconnection attempts (10) exhausted\n")
    assert events() == {"reconnect": 3, "giveup": 1, "connected": 1, "error": 1}

    # copytruncate: the file shrinks in place and starts again.
    with log.open("w") as f:
        f.write("FATAL out of connections\n")
    assert events() == {"reconnect": 3, "giveup": 1, "connected": 1, "error": 2}


def test_log_file_absent_at_start_is_read_from_its_start_once_created(mariadb, exporter, tmp_path):
    log = tmp_path / "later.log"
    proc = exporter(write_config(tmp_path / "c.yml", mariadb, logfile={"path": str(log)}))
    assert scrape(proc.url).get("nectar_log_events_total", event="error") == 0
    log.write_text("panic: runtime error\n")
    # The file did not exist when the exporter started, so all of it is new.
    assert scrape(proc.url).get("nectar_log_events_total", event="error") == 1
