"""Tick table freshness against a real PostgreSQL: exact values, a stalled stream, a database
that dies and comes back, and the plans that must ride the time index."""
from __future__ import annotations

import os
import time

from lookout.systems.ticks.exporter.config import TableConfig
from lookout.devstack.postgres import PostgresServer
from lookout.devstack.proc import ExporterProcess, http_get, promtool_check_metrics, scrape, wait_until

DB = "crypto_data"


def insert_ticks(pg, table: str, count: int, oldest_s: float, newest_s: float, instruments: int, prefix="ETH"):
    """`count` rows spread evenly between now()-oldest_s and now()-newest_s, cycling over instruments."""
    pg.psql(f"""INSERT INTO {table} ("timestamp", instrument_name, price)
        SELECT now() - make_interval(secs => {oldest_s} - ({oldest_s} - {newest_s}) * g / greatest({count} - 1, 1)),
               '{prefix}-' || (g % {instruments}), 1.0
        FROM generate_series(0, {count} - 1) AS g""", database=DB)


def newest_epoch(pg, table: str) -> float:
    return float(pg.psql(f'SELECT extract(epoch FROM max("timestamp")) FROM {table}', database=DB))


def config(table: str, **db) -> dict:
    return {"tables": [{"name": table, "instrument_column": "instrument_name"}],
            "database": {"reconnect_max_backoff_seconds": 1, **db}}


def test_rate_age_and_instruments_match_the_rows(pg, table, exporter):
    t = table()
    insert_ticks(pg, t, 600, oldest_s=240, newest_s=42, instruments=37)             # in the 5-minute window
    insert_ticks(pg, t, 900, oldest_s=3600, newest_s=400, instruments=80, prefix="OLD")  # history only
    newest = newest_epoch(pg, t)
    exp = exporter(config(t))
    before = time.time()
    m = scrape(exp.url)
    after = time.time()
    lbl = {"table": t}
    assert m.get("ticks_up") == 1
    assert m.get("ticks_table_window_ticks", **lbl) == 600
    assert m.get("ticks_table_ticks_per_minute", **lbl) == 120.0   # 600 rows / 5 minutes
    assert m.get("ticks_table_active_instruments", **lbl) == 37
    age = m.get("ticks_table_last_tick_age_seconds", **lbl)
    assert before - newest - 0.05 <= age <= after - newest + 0.05
    assert promtool_check_metrics(m.text) == ""


def test_the_container_feeding_a_table_is_served_as_declared(pg, table, exporter):
    """tables[].fed_by -> ticks_table_fed_by{table, container} 1: the member CollectorDown shares
    with that table's alerts (catalog, CollectorDown); a table without one has no such series."""
    fed, other = table(), table()
    for t in (fed, other):
        insert_ticks(pg, t, 10, oldest_s=100, newest_s=5, instruments=2)
    cfg = config(fed)
    cfg["tables"] = [dict(cfg["tables"][0], fed_by="eth-collector"), dict(cfg["tables"][0], name=other)]
    m = scrape(exporter(cfg).url)
    assert m.get("ticks_table_fed_by", table=fed, container="eth-collector") == 1
    assert [s.labels["table"] for s in m.all("ticks_table_fed_by")] == [fed]
    assert promtool_check_metrics(m.text) == ""


def test_a_stalled_stream_shows_a_growing_age(pg, table, exporter):
    t = table()
    insert_ticks(pg, t, 50, oldest_s=100, newest_s=5, instruments=5)
    exp = exporter(config(t))
    first = scrape(exp.url).get("ticks_table_last_tick_age_seconds", table=t)
    time.sleep(2.0)
    m = scrape(exp.url)
    second = m.get("ticks_table_last_tick_age_seconds", table=t)
    assert 1.9 <= second - first <= 3.0
    assert m.get("ticks_table_window_ticks", table=t) == 50  # nothing new arrived, nothing left the window yet


def test_new_rows_show_up_and_an_empty_table_is_infinitely_stale(pg, table, exporter):
    t = table()
    exp = exporter(config(t))
    m = scrape(exp.url)
    assert m.get("ticks_table_last_tick_age_seconds", table=t) == float("inf")
    assert m.get("ticks_table_ticks_per_minute", table=t) == 0
    insert_ticks(pg, t, 10, oldest_s=3, newest_s=1, instruments=2)
    m = scrape(exp.url)
    assert m.get("ticks_table_window_ticks", table=t) == 10
    assert m.get("ticks_table_active_instruments", table=t) == 2
    assert m.get("ticks_table_last_tick_age_seconds", table=t) < 5


def test_database_killed_mid_run_then_back_by_itself(tmp_path):
    server = PostgresServer().init().start()
    exp = None
    try:
        server.psql('CREATE TABLE eth_option_quotes ("timestamp" timestamptz NOT NULL); '
                    'CREATE INDEX ON eth_option_quotes ("timestamp"); '
                    "INSERT INTO eth_option_quotes SELECT now() - make_interval(secs => g) FROM generate_series(1, 30) g")
        # The devstack runs with synchronous_commit off: an immediate stop right after the insert
        # (the exporter answers its first scrape within milliseconds) would lose the table to
        # crash recovery unless its WAL is flushed first.
        server.psql("CHECKPOINT")
        (tmp_path / "cfg.yml").write_text("database:\n  reconnect_max_backoff_seconds: 1\n")
        exp = ExporterProcess("ticks", tmp_path / "cfg.yml", tmp_path,
                              env={"TICKS_DATABASE__DSN": server.dsn()}).wait_ready()
        m = scrape(exp.url)
        assert m.get("ticks_up") == 1 and m.get("ticks_table_window_ticks", table="eth_option_quotes") == 30

        server.stop("immediate")
        t0 = time.monotonic()
        m = scrape(exp.url, timeout_header=5)
        assert time.monotonic() - t0 < 5           # answered within the scrape deadline
        assert m.get("ticks_up") == 0
        assert m.get("lookout_collector_success", collector="table_eth_option_quotes") == 0
        assert m.get("ticks_table_window_ticks", table="eth_option_quotes") is None  # no stale values
        assert m.get("lookout_collector_errors_total", collector="table_eth_option_quotes", reason="connection") >= 1
        _, _, page = http_get(exp.url + "/")
        assert "PostgreSQL at 127.0.0.1" in page and "failed (connection)" in page
        assert scrape(exp.url).get("ticks_up") == 0  # still down, still answering

        server.start()
        wait_until(lambda: scrape(exp.url).get("ticks_up") == 1, timeout=20, what="ticks_up back to 1")
        assert scrape(exp.url).get("ticks_table_window_ticks", table="eth_option_quotes") == 30
        logs = exp.logs()
        assert server.password not in logs
        assert "collector failed" in logs
    finally:
        if exp:
            exp.stop()
        server.destroy()


def _plan(pg, sql: str) -> str:
    return pg.psql(f"EXPLAIN {sql}", database=DB)


def test_tick_queries_ride_the_time_index(pg):
    """On a table big enough for the planner to care, no plan node scans the whole table."""
    from lookout.systems.ticks.exporter.tables import tick_query
    for col_type in ("timestamptz", "timestamp"):
        pg.psql(f"""DROP TABLE IF EXISTS plan_{col_type}, plan_noidx_{col_type};
            CREATE TABLE plan_{col_type} ("timestamp" {col_type} NOT NULL, instrument_name text, price float8);
            INSERT INTO plan_{col_type} SELECT now() - make_interval(secs => g * 0.5), 'ETH-' || (g % 50), 1
                FROM generate_series(1, 200000) g;
            CREATE TABLE plan_noidx_{col_type} AS TABLE plan_{col_type};
            CREATE INDEX ON plan_{col_type} ("timestamp");
            ANALYZE plan_{col_type}; ANALYZE plan_noidx_{col_type}""", database=DB)
        sql = tick_query(TableConfig(name=f"plan_{col_type}", instrument_column="instrument_name"))
        plan = _plan(pg, sql)
        assert "Seq Scan" not in plan, plan
        assert "Index Only Scan Backward" in plan or "Index Scan Backward" in plan, plan  # max(ts)
        # The same query without the index must scan: the check above can fail.
        unindexed = tick_query(TableConfig(name=f"plan_noidx_{col_type}", instrument_column="instrument_name"))
        assert "Seq Scan" in _plan(pg, unindexed)


def test_the_window_is_read_once_and_counts_as_count_and_count_distinct(pg):
    """One index range scan of the window gives both the rows and the distinct instruments
    (issue 24: a second scan and count(DISTINCT)'s sort were a third of the server's CPU per
    collection); the figures are PostgreSQL's own count(*) and count(DISTINCT), rows with a
    NULL instrument counted as ticks and not as an instrument, an empty window 0 and 0."""
    from lookout.systems.ticks.exporter.tables import tick_query
    pg.psql("""DROP TABLE IF EXISTS once;
        CREATE TABLE once ("timestamp" timestamptz NOT NULL, instrument_name text, price float8);
        INSERT INTO once SELECT now() - make_interval(secs => g * 0.5), 'ETH-' || (g % 50), 1
            FROM generate_series(1, 200000) g;
        INSERT INTO once SELECT now() - make_interval(secs => g), NULL, 1 FROM generate_series(1, 7) g;
        CREATE INDEX ON once ("timestamp"); ANALYZE once""", database=DB)
    sql = tick_query(TableConfig(name="once", instrument_column="instrument_name"))
    assert _plan(pg, sql).count('Index Cond: ("timestamp" >= ') == 1, _plan(pg, sql)
    window = "\"timestamp\" >= now() - interval '300 seconds'"
    # In one statement, so both sides see the same now().
    both = pg.psql(f"SELECT e.c || '|' || e.d || ' ' || q.ticks || '|' || q.instruments FROM (SELECT count(*) AS c, "
                   f"count(DISTINCT instrument_name) AS d FROM once WHERE {window}) e, ({sql}) q", database=DB)
    expected, got = both.split(" ")
    assert got == expected and expected.endswith("|50") and int(expected.split("|")[0]) > 600, both
    pg.psql("DELETE FROM once", database=DB)
    assert pg.psql(f"SELECT ticks || '|' || instruments || '|' || (age IS NULL) FROM ({sql}) q", database=DB) == "0|0|true"


def test_a_blocked_query_is_cut_at_the_scrape_deadline_on_the_server_too(pg, table, exporter):
    import subprocess
    t = table()
    exp = exporter(config(t))
    assert scrape(exp.url).get("ticks_up") == 1
    # Another session holds the table locked: the tick query waits for it.
    locker = subprocess.Popen([str(pg.bindir / "psql"), "-h", str(pg.socket_dir), "-p", str(pg.port), "-U", "postgres",
                               "-d", DB, "-X", "-q", "-c", f"BEGIN; LOCK TABLE {t}; SELECT pg_sleep(20);"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              env={**os.environ, "PGAPPNAME": "lock-holder"})
    try:
        wait_until(lambda: pg.psql(f"SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                                   f"WHERE c.relname = '{t}' AND l.mode = 'AccessExclusiveLock'", database=DB) == "1",
                   timeout=10, what="the lock")
        t0 = time.monotonic()
        m = scrape(exp.url, timeout_header=2)
        assert time.monotonic() - t0 < 2.0
        # The server answers the ping: lock contention is the table's failure, never "down" (issue 12).
        assert m.get("ticks_up") == 1
        assert m.get("lookout_collector_success", collector=f"table_{t}") == 0
        assert m.get("lookout_collector_errors_total", collector=f"table_{t}", reason="timeout") == 1
        # statement_timeout ended it server-side: nothing left waiting
        wait_until(lambda: pg.psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'lookout-ticks' "
                                   "AND state = 'active'", database=DB) == "0", timeout=3, what="no query left")
    finally:
        # The server would sit out pg_sleep even with the client gone: end it there.
        pg.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'lock-holder'",
                database=DB)
        locker.wait(10)
    wait_until(lambda: scrape(exp.url).get("ticks_up") == 1, timeout=10, what="recovery after the lock")


def test_connections_the_server_ended_are_replaced_without_a_failed_scrape(pg, table, exporter):
    """An idle timeout, a pooler's or an operator's pg_terminate_backend end the pooled and the
    ping's connections between scrapes: the next scrape dials fresh ones instead of failing."""
    t = table()
    insert_ticks(pg, t, 5, oldest_s=60, newest_s=5, instruments=1)
    exp = exporter(config(t))
    assert scrape(exp.url).get("ticks_up") == 1
    ended = pg.psql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE application_name = 'lookout-ticks'")
    assert int(ended) >= 2  # the ping's and a pooled one
    time.sleep(0.3)
    m = scrape(exp.url)
    assert m.get("ticks_up") == 1, exp.logs()
    assert m.get("lookout_collector_success", collector=f"table_{t}") == 1, exp.logs()
    assert m.get("ticks_table_window_ticks", table=t) == 5
