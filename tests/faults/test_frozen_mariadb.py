"""Nectar's exporter against a MariaDB frozen with kill -STOP, a lock held in another session,
and a peer that accepts and never answers (issue 12, cases 1, 3 and 4)."""
from __future__ import annotations

import signal
import subprocess
import threading
import time

from lookout.devstack.proc import ExporterProcess, scrape, wait_until
from lookout.devstack.silent_peer import SilentPeer

from .conftest import fds, frozen, nectar_config, threads

SLOT = 50000000  # the row the module's MariaDB holds


def _stand_in_process(tmp_path):
    """A process whose liveness the process collector reads (it only needs a pid)."""
    proc = subprocess.Popen(["sleep", "600"])
    pidfile = tmp_path / "nectar.pid"
    pidfile.write_text(str(proc.pid))
    return proc, pidfile


def test_frozen_database_is_failed_not_stale_and_other_collectors_keep_working(mariadb, tmp_path):
    nectar, pidfile = _stand_in_process(tmp_path)
    logfile = tmp_path / "nectar.log"
    logfile.write_text("")
    cfg = nectar_config(tmp_path / "c.yml", mariadb.port, process={"pidfile": str(pidfile)},
                        logfile={"path": str(logfile)})
    exp = ExporterProcess("nectar", cfg, tmp_path).wait_ready()
    long_scrape = None
    try:
        m = scrape(exp.url, timeout_header=3)
        assert m["nectar_up"] == 1 and m["nectar_chain_slot"] == SLOT
        with frozen(mariadb.proc.pid):
            # One scrape in flight under a long deadline: the others must not be served its old data.
            long_scrape = threading.Thread(target=lambda: scrape(exp.url, timeout_header=60, timeout=90), daemon=True)
            long_scrape.start()
            time.sleep(0.3)
            for _ in range(8):
                t0 = time.monotonic()
                m = scrape(exp.url, timeout_header=3)
                assert time.monotonic() - t0 < 3.0
                assert m["nectar_up"] == 0, m.text
                assert m.get("nectar_chain_slot") is None, "old data served as current"
                assert m.get("lookout_collector_success", collector="chain") == 0
                assert m.get("lookout_collector_success", collector="ping") == 0
                # Collectors that never touch the database are not blinded by it.
                assert m.get("lookout_collector_success", collector="process") == 1, m.text
                assert m.get("lookout_collector_success", collector="logfile") == 1, m.text
                assert m["nectar_process_up"] == 1
            nectar.kill()
            nectar.wait()
            m = scrape(exp.url, timeout_header=3)
            assert m["nectar_process_up"] == 0  # NectarProcessDown is not blind during a database outage
        thawed = time.monotonic()
        wait_until(lambda: scrape(exp.url, timeout_header=3)["nectar_up"] == 1, timeout=30, interval=0.5,
                   what="nectar_up after the database thawed")
        recovery = time.monotonic() - thawed
        # reconnect_max_backoff_seconds (1) + one scrape (3), with room for a loaded machine
        assert recovery < 1 + 3 + 3, recovery
        assert scrape(exp.url, timeout_header=3)["nectar_chain_slot"] == SLOT
    finally:
        if long_scrape:
            long_scrape.join(90)
        nectar.kill()
        exp.stop()


def test_lock_held_in_another_session_is_the_chain_collectors_failure_not_down(mariadb, tmp_path):
    exp = ExporterProcess("nectar", nectar_config(tmp_path / "c.yml", mariadb.port), tmp_path).wait_ready()
    locker = mariadb.root("nectar")
    try:
        assert scrape(exp.url, timeout_header=3)["nectar_up"] == 1
        with locker.cursor() as cur:
            cur.execute("LOCK TABLES blocks WRITE")  # the chain query now waits (runbook 000: lock contention)
        for _ in range(3):
            t0 = time.monotonic()
            m = scrape(exp.url, timeout_header=2)
            assert time.monotonic() - t0 < 2.0
            assert m["nectar_up"] == 1, m.text
            assert m.get("lookout_collector_success", collector="ping") == 1
            assert m.get("lookout_collector_success", collector="chain") == 0
            assert m.get("lookout_collector_errors_total", collector="chain", reason="timeout") >= 1
            assert m.get("lookout_collector_success", collector="server") == 1
    finally:
        locker.close()
        exp.stop()
    # (the lock ends with the session)


def test_sigterm_stops_the_exporter_within_5_s_while_the_database_is_frozen(mariadb, tmp_path):
    exp = ExporterProcess("nectar", nectar_config(tmp_path / "c.yml", mariadb.port), tmp_path).wait_ready()
    scrape(exp.url, timeout_header=3)
    with frozen(mariadb.proc.pid):
        pending = [threading.Thread(target=lambda: _quiet_scrape(exp.url), daemon=True) for _ in range(3)]
        for t in pending:
            t.start()
        time.sleep(1.5)  # calls are now stuck on the frozen server
        t0 = time.monotonic()
        exp.proc.send_signal(signal.SIGTERM)
        try:
            exp.proc.wait(5)
        except subprocess.TimeoutExpired:
            exp.proc.kill()
            raise AssertionError("still running 5 s after SIGTERM")
        assert time.monotonic() - t0 < 5
    exp.stop()


def _quiet_scrape(url):
    try:
        scrape(url, timeout_header=30, timeout=40)
    except Exception:  # the exporter is being stopped under it
        pass


def test_silent_peer_answers_in_time_with_bounded_fds_and_threads(tmp_path):
    with SilentPeer() as peer:
        cfg = nectar_config(tmp_path / "c.yml", peer.port)
        exp = ExporterProcess("nectar", cfg, tmp_path).wait_ready()
        try:
            for _ in range(5):
                scrape(exp.url, timeout_header=1)
            base_fds, base_threads = fds(exp.proc.pid), threads(exp.proc.pid)
            slow = 0
            for i in range(200):
                t0 = time.monotonic()
                m = scrape(exp.url, timeout_header=1)
                slow += time.monotonic() - t0 >= 1.0
                assert m["nectar_up"] == 0
                assert m.get("lookout_collector_success", collector="ping") == 0
            assert slow == 0
            # Abandoned calls come back on their own socket timeouts: nothing accumulates.
            assert fds(exp.proc.pid) <= base_fds + 12, (base_fds, fds(exp.proc.pid))
            assert threads(exp.proc.pid) <= base_threads + 12, (base_threads, threads(exp.proc.pid))
            # A huge timeout header is capped (scrape.max_timeout_seconds, default 120); a
            # garbage one falls back to the default.
        finally:
            exp.stop()


def test_timeout_header_is_capped_and_garbage_falls_back(tmp_path):
    with SilentPeer() as peer:
        cfg = nectar_config(tmp_path / "c.yml", peer.port, database={
            "host": "127.0.0.1", "port": peer.port, "user": "lookout", "password": "x" * 8,
            "connect_timeout_seconds": 30.0, "reconnect_max_backoff_seconds": 0.1},
            scrape={"max_timeout_seconds": 2.0, "default_timeout_seconds": 1.5})
        exp = ExporterProcess("nectar", cfg, tmp_path).wait_ready()
        try:
            for header in ("1e9", "100000", "inf", "nan", "1e309", "-5", "garbage"):
                t0 = time.monotonic()
                m = scrape(exp.url, timeout_header=header, timeout=30)
                assert time.monotonic() - t0 < 2.5, header
                assert m["nectar_up"] == 0
                assert m.get("lookout_collector_errors_total", collector="ping", reason="timeout") >= 1
        finally:
            exp.stop()
