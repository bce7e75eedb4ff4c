"""The server-side time limit of a table's statement is what is left of the scrape deadline
once a pooled connection is ours (docs/exporters/ticks.md: "statement_timeout is what is left
of the scrape deadline"): with more tables than `database.pool_size`, a table waits for a
connection, and a limit taken before that wait would let PostgreSQL run past the deadline.

A FAKE connection and lease stand in for the pool here, because the point is when the
statement's text is made relative to the wait; what PostgreSQL receives is read from its own
log in test_round_trips.py."""
from __future__ import annotations

import contextlib
import re
import time

from lookout.exporters.runtime import Deadline
from lookout.systems.ticks.exporter.config import DatabaseConfig
from lookout.systems.ticks.exporter.database import Database
from lookout.systems.ticks.exporter.tables import COLUMNS

WAIT = 0.6  # seconds spent waiting for a pooled connection


class _FakeConnection:
    def __init__(self, sent: list):
        self.sent = sent

    status = b"I"

    def copy_out(self, statement, until):
        self.sent.append((statement, time.monotonic()))
        return b"1\t1.5\t\\N\n", None


def test_the_time_limit_is_taken_after_waiting_for_a_connection():
    sent: list = []
    db = Database(DatabaseConfig())

    @contextlib.contextmanager
    def slow_lease(deadline, what):
        time.sleep(WAIT)  # another table's statement holds the pool's connection
        yield _FakeConnection(sent)

    db._pooled = slow_lease

    deadline = Deadline(3.0)
    row = db.fetchrow("SELECT 1", deadline, "table t", COLUMNS)
    assert row == {"ticks": "1", "age": "1.5", "instruments": None}
    (statement, at), = sent
    limit_ms = int(re.search(r"statement_timeout = (\d+)", statement).group(1))
    left_ms = (deadline.at - at) * 1000
    # Taken before the wait, the limit would be about WAIT longer than what was left.
    assert limit_ms <= left_ms + 50, (limit_ms, left_ms)
