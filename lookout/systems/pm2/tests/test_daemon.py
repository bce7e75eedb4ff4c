"""The daemon gone, stale or hung: reported down, /metrics still served, no daemon started, recovery."""
import signal
import time

import psutil
import pytest

from lookout.devstack.pm2 import PM2
from lookout.devstack.proc import http_get, scrape, wait_until

from .conftest import APPS, get, write_config


@pytest.fixture(scope="module")
def pm2(tmp_path_factory):
    # This module kills its daemon; it gets one of its own with a single app.
    instance = PM2(tmp_path_factory.mktemp("pm2home"))
    try:
        instance.start(APPS / "idle.js", "idle")
        yield instance
    finally:
        try:
            instance.signal_daemon(signal.SIGCONT)
        except (AssertionError, ProcessLookupError):
            pass
        instance.kill_all()


def assert_down(exp, reason: str):
    start = time.monotonic()
    m = scrape(exp.url, timeout_header=3)
    assert time.monotonic() - start < 3, "scrape overran its deadline"
    assert m["pm2_up"] == 0 and m.get("pm2_daemon_up") is None
    assert m.get("lookout_collector_success", collector="processes") == 0
    assert m.get("lookout_collector_errors_total", collector="processes", reason=reason) >= 1
    assert m.get("lookout_collector_success", collector="host") == 1  # the rest still works
    assert m["pm2_host_memory_total_bytes"] > 0
    assert get(m, "pm2_process_up", name="idle") is None
    return m


def test_never_started_daemon(tmp_path, exporter):
    empty = PM2(tmp_path / "never-started")  # a PM2_HOME where no daemon ever ran
    exp = exporter(write_config(tmp_path / "pm2.yaml", empty.home))
    for _ in range(5):
        assert_down(exp, "connection")
    _, _, page = http_get(exp.url + "/")
    assert "PM2 daemon down: no socket at" in page
    assert not empty.rpc_socket.exists()
    assert empty.daemons() == [] and psutil.Process(exp.proc.pid).children(recursive=True) == []


def test_killed_daemon_down_then_recovers(pm2, tmp_path, exporter):
    exp = exporter(write_config(tmp_path / "pm2.yaml", pm2.home))
    m = scrape(exp.url)
    assert m["pm2_up"] == 1 and get(m, "pm2_process_up", name="idle") == 1

    old = pm2.daemon_pid()
    pm2.hard_kill_daemon()
    assert pm2.rpc_socket.exists()  # a stale socket file, refusing connections
    for _ in range(10):
        assert_down(exp, "connection")
    assert "refused the connection" in http_get(exp.url + "/")[2]
    # Nobody started a replacement: the socket still refuses, no daemon in the process table.
    assert pm2.socket_refuses()
    assert pm2.daemons() == []
    assert psutil.Process(exp.proc.pid).children(recursive=True) == []

    pm2.kill_all()  # the orphaned app
    pm2.start(APPS / "idle.js", "idle")
    assert pm2.daemon_pid() != old
    m = wait_until(lambda: (lambda m: m if m["pm2_up"] == 1 else None)(scrape(exp.url)),
                   10, what="the exporter to see the new daemon")
    assert m["pm2_up"] == 1
    assert get(m, "pm2_process_up", name="idle") == 1


def test_hung_daemon_times_out_then_recovers(pm2, tmp_path, exporter):
    exp = exporter(write_config(tmp_path / "pm2.yaml", pm2.home))
    wait_until(lambda: scrape(exp.url)["pm2_up"] == 1, 10)
    pm2.signal_daemon(signal.SIGSTOP)  # accepts connections (kernel backlog), never answers
    try:
        for _ in range(3):
            assert_down(exp, "timeout")
    finally:
        pm2.signal_daemon(signal.SIGCONT)
    wait_until(lambda: scrape(exp.url)["pm2_up"] == 1, 10, what="recovery after SIGCONT")
