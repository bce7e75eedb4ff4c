"""The tick exporter against a PostgreSQL frozen with kill -STOP (issue 12, case 1: the ticks
exporter served old data as new on the first scrape after a freeze, 3 runs out of 3)."""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time

import pytest

from lookout.devstack.postgres import PostgresServer
from lookout.devstack.proc import ExporterProcess, scrape, wait_until, write_yaml

DB = "crypto_data"
TABLE = "eth_option_quotes"


@pytest.fixture(scope="module")
def pg():
    server = PostgresServer().init().start()
    server.psql(f"CREATE DATABASE {DB}")
    server.psql(f'CREATE TABLE {TABLE} ("timestamp" timestamptz NOT NULL, instrument_name text, price float8);'
                f"INSERT INTO {TABLE} VALUES (now(), 'ETH-1', 1.0)", database=DB)
    yield server
    server.destroy()


def _server_pids(pg: PostgresServer) -> list[int]:
    postmaster = int((pg.data / "postmaster.pid").read_text().split()[0])
    children = subprocess.run(["pgrep", "-P", str(postmaster)], capture_output=True, text=True).stdout.split()
    return [postmaster, *map(int, children)]


@contextlib.contextmanager
def frozen_server(pg: PostgresServer):
    pids = _server_pids(pg)
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)


def test_frozen_postgres_is_failed_not_stale_and_disk_keeps_working(pg, tmp_path):
    cfg = write_yaml(tmp_path / "c.yml", {
        "database": {"reconnect_max_backoff_seconds": 1.0, "connect_timeout_seconds": 2.0},
        "tables": [{"name": TABLE, "instrument_column": "instrument_name"}],
        "disk": {"paths": [str(tmp_path)]}})
    exp = ExporterProcess("ticks", cfg, tmp_path, env={"TICKS_DATABASE__DSN": pg.dsn(database=DB)}).wait_ready()
    long_scrape = None
    try:
        m = scrape(exp.url, timeout_header=3)
        assert m["ticks_up"] == 1 and m.get("ticks_table_last_tick_age_seconds", table=TABLE) is not None
        with frozen_server(pg):
            long_scrape = threading.Thread(target=lambda: _quiet(exp.url, 60), daemon=True)
            long_scrape.start()
            time.sleep(0.3)
            for _ in range(6):
                t0 = time.monotonic()
                m = scrape(exp.url, timeout_header=3)
                assert time.monotonic() - t0 < 3.0
                assert m["ticks_up"] == 0, m.text
                assert m.get("ticks_table_last_tick_age_seconds", table=TABLE) is None, "old data served as current"
                assert m.get("lookout_collector_success", collector=f"table_{TABLE}") == 0
                assert m.get("lookout_collector_success", collector="disk") == 1, m.text
        thawed = time.monotonic()
        wait_until(lambda: scrape(exp.url, timeout_header=3)["ticks_up"] == 1, timeout=30, interval=0.5,
                   what="ticks_up after the server thawed")
        assert time.monotonic() - thawed < 1 + 3 + 3
        m = scrape(exp.url, timeout_header=3)
        assert m.get("lookout_collector_success", collector=f"table_{TABLE}") == 1
    finally:
        if long_scrape:
            long_scrape.join(90)
        exp.stop()


def _quiet(url, header):
    with contextlib.suppress(Exception):
        scrape(url, timeout_header=header, timeout=90)
