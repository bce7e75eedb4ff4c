"""What one collection sends PostgreSQL (docs/exporters/ticks.md, "How it collects"): the ping's
simple `SELECT 1`, then per table one simple query, `BEGIN READ ONLY; SET LOCAL
statement_timeout = N; COPY (<tick query>) TO STDOUT; COMMIT`; nothing else (no prepare, no
reset query on release). Read from the server's own log (`log_statement = all`, one line per
message the server ran: a prepared statement would log its execution apart), so what counts is
what the server received."""
from __future__ import annotations

import re
import uuid

import pytest

from lookout.devstack.proc import scrape

from .test_table import insert_ticks


@pytest.fixture
def statement_log(pg):
    pg.psql("ALTER SYSTEM SET log_statement = 'all'")  # ALTER SYSTEM: not inside a transaction
    pg.psql("SELECT pg_reload_conf()")
    yield pg.log  # the server's log file
    pg.psql("ALTER SYSTEM RESET log_statement")
    pg.psql("SELECT pg_reload_conf()")


def _between(log: str, start: str, end: str) -> list[str]:
    body = log[log.index(start):log.index(end)]
    return [m.group(1) for m in re.finditer(r"LOG:  (?:statement|execute [^:]*): (.*)", body)
            if not m.group(1).startswith("SELECT '")]  # the markers


def test_one_collection_is_the_ping_and_one_round_trip_per_table(pg, table, exporter, statement_log):
    name = table()
    insert_ticks(pg, name, 50, oldest_s=200, newest_s=10, instruments=3)
    exp = exporter({"tables": [{"name": name, "instrument_column": "instrument_name"}]})
    scrape(exp.url)  # connections dialled
    start, end = f"start-{uuid.uuid4().hex}", f"end-{uuid.uuid4().hex}"
    pg.psql(f"SELECT '{start}'")
    for _ in range(3):
        assert scrape(exp.url).get("ticks_up") == 1.0
    pg.psql(f"SELECT '{end}'")

    sent = _between(statement_log.read_text(), start, end)
    table = re.compile(r"BEGIN READ ONLY; SET LOCAL statement_timeout = \d+; "
                       r"COPY \(SELECT .* FROM " + re.escape(f'"{name}"') + r" .*\) TO STDOUT; COMMIT")
    kinds = sorted("ping" if s == "SELECT 1" else "table" if table.fullmatch(s) else s for s in sent)
    assert kinds == sorted(["ping", "table"] * 3), "\n".join(sent)
