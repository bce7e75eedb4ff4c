"""The tick database behind Debian's PgBouncer (transaction and session pooling), and a ping
that is never queued behind blocked table statements (issue 22)."""
from __future__ import annotations

import os
import subprocess
import threading
import time

import pytest

from lookout.devstack.pgbouncer import PgBouncer
from lookout.devstack.proc import scrape, wait_until

from .test_table import DB, insert_ticks, newest_epoch


@pytest.fixture(params=["transaction", "session"])
def bouncer(request, pg):
    # The exporter's database.pool_size (2) plus the ping's own connection: what docs/deploying.md
    # tells the operator to give PgBouncer's pool in session mode.
    b = PgBouncer(pg, pool_mode=request.param, pool_size=3).start()
    yield b
    b.stop()


# `bouncer` before `exporter`: fixtures stop in reverse order, so the exporter's connections
# are closed before PgBouncer's safe shutdown (SIGINT), which waits for its clients to go.
def test_every_tick_signal_is_right_through_pgbouncer(pg, table, bouncer, exporter):
    """A prepared statement would not survive transaction mode: the next use may land on another
    server connection. Each of many scrapes must answer up with exact values."""
    tables = [table(), table()]
    for t in tables:
        insert_ticks(pg, t, 300, oldest_s=240, newest_s=30, instruments=11)
    cfg = {"tables": [{"name": t, "instrument_column": "instrument_name"} for t in tables],
           "database": {"reconnect_max_backoff_seconds": 1, "pool_size": 2}}
    exp = exporter(cfg, env={"TICKS_DATABASE__DSN": bouncer.dsn(DB)})
    for _ in range(12):
        t0 = time.monotonic()
        m = scrape(exp.url)
        assert time.monotonic() - t0 < 3, "waited for a server connection (PgBouncer's pool too small)"
        assert m.get("ticks_up") == 1, exp.logs()
        for t in tables:
            assert m.get("lookout_collector_success", collector=f"table_{t}") == 1, exp.logs()
            assert m.get("ticks_table_window_ticks", table=t) == 300
            assert m.get("ticks_table_active_instruments", table=t) == 11
            age = m.get("ticks_table_last_tick_age_seconds", table=t)
            assert abs(age - (time.time() - newest_epoch(pg, t))) < 2
    assert "does not exist" not in exp.logs()


def _lock(pg, tables):
    sql = "BEGIN; " + " ".join(f"LOCK TABLE {t};" for t in tables) + " SELECT pg_sleep(30);"
    return subprocess.Popen([str(pg.bindir / "psql"), "-h", str(pg.socket_dir), "-p", str(pg.port), "-U", "postgres",
                             "-d", DB, "-X", "-q", "-c", sql], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "PGAPPNAME": "lock-holder"})


def test_the_ping_is_not_queued_behind_blocked_table_queries(pg, table, exporter):
    """As many locked tables as pool connections: every pooled connection waits on the lock,
    and a scraper with a short timeout still learns the server answers."""
    tables = [table(), table()]
    exp = exporter({"tables": [{"name": t} for t in tables],
                    "database": {"reconnect_max_backoff_seconds": 1, "pool_size": 2}})
    assert scrape(exp.url).get("ticks_up") == 1
    locker = _lock(pg, tables)
    try:
        wait_until(lambda: pg.psql("SELECT count(*) FROM pg_locks WHERE mode = 'AccessExclusiveLock' AND granted "
                                   f"AND relation IN ({', '.join(repr(t) + '::regclass' for t in tables)})",
                                   database=DB) == str(len(tables)), timeout=10, what="the locks")
        # A scraper with a long timeout waits on the locks, holding every pooled connection;
        # one with a short timeout does not join its collection and asks itself.
        long_scrape = threading.Thread(target=lambda: scrape(exp.url, timeout_header=8), daemon=True)
        long_scrape.start()
        time.sleep(0.7)
        for _ in range(2):
            m = scrape(exp.url, timeout_header=1.5)
            assert m.get("ticks_up") == 1, exp.logs()
            for t in tables:
                assert m.get("lookout_collector_success", collector=f"table_{t}") == 0
    finally:
        pg.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'lock-holder'",
                database=DB)
        locker.wait(10)
        long_scrape.join(10)
    wait_until(lambda: scrape(exp.url).get("lookout_collector_success", collector=f"table_{tables[0]}") == 1,
               timeout=10, what="recovery after the lock")
