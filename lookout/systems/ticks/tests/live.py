"""The tick collector in the live stack (tests/dashboards/live_stack.py): a tick table written
every half second in a real PostgreSQL, and a collector container logging in a real Docker."""
from __future__ import annotations

import itertools

from lookout.devstack.docker import DockerEngine
from lookout.devstack.postgres import PostgresServer


def start(stack) -> None:
    """Start it on `stack` (a live_stack.Stack): backend, activity, exporter."""
    pg = PostgresServer()
    stack.later(pg.destroy)
    pg.init().start()
    pg.psql("CREATE DATABASE crypto_data")
    pg.psql('CREATE TABLE eth_option_quotes ("timestamp" timestamptz NOT NULL, instrument_name text,'
            ' price float8)', database="crypto_data")
    instruments = itertools.cycle(["ETH-27DEC-3000-C", "ETH-27DEC-3000-P", "ETH-28MAR-4000-C"])
    stack.every_half_second(lambda: pg.psql(
        f"INSERT INTO eth_option_quotes VALUES (now(), '{next(instruments)}', 0.05)", database="crypto_data"))
    engine = DockerEngine()
    stack.later(engine.stop)
    engine.start()
    engine.import_busybox()
    name = "eth-collector-live"
    second = 1_000_000_000
    # scripts/ws_tick_collector.py's STATS line and heartbeat warning, with this test's numbers.
    engine.run(["sh", "-c", "while true; do echo 'STATS | Ticks: 1234 | Buffer: Q=12.3% T=4.5% D=0.0% | DB Writes: 7';"
                            " echo 'No ticks received for 75s (timeout: 60s)'; echo 'ERROR: feed hiccup';"
                            " echo 'Reconnecting in 5s'; echo 'WebSocket connected successfully'; sleep 1; done"],
               name=name, mem_limit="32m",
               healthcheck={"test": ["CMD", "true"], "interval": second // 2, "retries": 1})
    stack.exporter("ticks", {
        "tables": [{"name": "eth_option_quotes", "instrument_column": "instrument_name"}],
        "docker": {"host": engine.host, "containers": [name]},
        "disk": {"paths": [str(stack.workdir)]},
    }, env={"TICKS_DATABASE__DSN": pg.dsn(database="crypto_data")})
