"""The Database on the collectors' own threads (issue 24): PyMySQL called directly, one thread
per connection at a time, every wait bounded by the deadline, the ping apart from the data
statements. Called directly against the real MariaDB, several threads at once, as the
runtime's collector runs overlap."""
from __future__ import annotations

import threading
import time

import pytest

from lookout.exporters.runtime import CollectError, Deadline, Secret
from lookout.systems.nectar.exporter.config import DatabaseConfig
from lookout.systems.nectar.exporter.db import Database

from .conftest import PASSWORD


def database(db, **settings) -> Database:
    return Database(DatabaseConfig(host="127.0.0.1", port=db.port, user="lookout", password=Secret(PASSWORD),
                                   database="nectar", reconnect_max_backoff_seconds=1.0, **settings))


def in_thread(fn, *args):
    """Start fn(*args) on a thread; the returned thread's .result / .error hold what it gave."""
    t = threading.Thread(target=_keep, args=(fn, args), daemon=True)
    t.result = t.error = None
    t.start()
    return t


def _keep(fn, args):
    me = threading.current_thread()
    try:
        me.result = fn(*args)
    except BaseException as exc:  # handed to the test
        me.error = exc


def open_ids(mariadb) -> set[int]:
    return {row[0] for row in mariadb.execute("SELECT ID FROM information_schema.PROCESSLIST WHERE USER = 'lookout'")}


@pytest.fixture
def locked(mariadb):
    """A table whose reads wait: LOCK TABLES ... WRITE held by another session until the test ends."""
    mariadb.execute("CREATE TABLE IF NOT EXISTS locked_rows (n BIGINT)", "DELETE FROM locked_rows",
                    "INSERT INTO locked_rows VALUES (7)", database="nectar")
    holder = mariadb.root("nectar")
    with holder.cursor() as cur:
        cur.execute("LOCK TABLES locked_rows WRITE")
    yield holder
    holder.close()


def test_statements_beyond_pool_size_take_turns_on_its_connections(mariadb):
    db = database(mariadb, pool_size=2)
    try:
        start = time.monotonic()
        runs = [in_thread(db.query, "SELECT CONNECTION_ID(), SLEEP(0.3)", Deadline(10)) for _ in range(4)]
        for t in runs:
            t.join(15)
        elapsed = time.monotonic() - start
        assert [t.error for t in runs] == [None] * 4
        ids = {t.result[0][0] for t in runs}
        # Four statements, two connections: two turns of 0.3 s each, each connection one thread's at a time.
        assert len(ids) <= 2, ids
        assert elapsed >= 0.55, elapsed
    finally:
        db.close()


def test_the_ping_answers_while_the_data_connections_wait_on_a_lock(mariadb, locked):
    db = database(mariadb, pool_size=1)
    try:
        blocked = in_thread(db.query, "SELECT n FROM locked_rows", Deadline(20))
        time.sleep(0.5)  # the one data connection now waits on the lock
        t0 = time.monotonic()
        db.ping(Deadline(2))
        assert time.monotonic() - t0 < 1.0
        # Another statement finds no connection free and says so by its own deadline.
        t0 = time.monotonic()
        with pytest.raises(CollectError) as err:
            db.query("SELECT 1", Deadline(0.5))
        assert time.monotonic() - t0 < 1.0
        assert err.value.reason == "timeout" and "pool_size" in str(err.value)
        assert blocked.is_alive()
        with locked.cursor() as cur:
            cur.execute("UNLOCK TABLES")
        blocked.join(10)
        assert blocked.error is None and blocked.result == [(7,)]
        assert db.query("SELECT 1", Deadline(2)) == [(1,)]  # the connection is free again
    finally:
        db.close()


def test_a_statement_is_stopped_by_the_deadline_and_its_thread_comes_back(mariadb, locked):
    db = database(mariadb)
    try:
        t0 = time.monotonic()
        run = in_thread(db.query, "SELECT n FROM locked_rows", Deadline(1))
        run.join(10)
        # The server's time limit (what the deadline left) stops it; the socket timeout lies just past it.
        assert time.monotonic() - t0 < 1.0 + 0.25 + 0.5
        assert isinstance(run.error, CollectError) and run.error.reason == "timeout", run.error
        db.ping(Deadline(2))  # a slow statement is not "down": nothing backs off
        assert db.query("SELECT 2", Deadline(2)) == [(2,)]
    finally:
        db.close()


def test_close_leaves_no_connection_open_even_for_a_run_still_going(mariadb):
    db = database(mariadb)
    before = open_ids(mariadb)
    db.ping(Deadline(2))
    assert db.query("SELECT 1", Deadline(2)) == [(1,)]
    late = in_thread(db.query, "SELECT CONNECTION_ID(), SLEEP(0.5)", Deadline(5))
    time.sleep(0.2)
    db.close()
    late.join(10)
    assert late.error is None
    deadline = time.monotonic() + 5
    while open_ids(mariadb) - before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not open_ids(mariadb) - before, "a connection outlived close()"
