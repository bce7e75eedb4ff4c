"""Fixtures for the tick exporter: one PostgreSQL cluster and one Docker engine per session
(both real, both started here), and a factory for exporter processes that stops them all."""
from __future__ import annotations

import itertools

import pytest
import yaml

from lookout.devstack.docker import DockerEngine
from lookout.devstack.postgres import PostgresServer
from lookout.devstack.proc import ExporterProcess

_names = itertools.count()


@pytest.fixture(scope="session")
def pg():
    server = PostgresServer().init().start()
    server.psql("CREATE DATABASE crypto_data")
    yield server
    server.destroy()


@pytest.fixture(scope="session")
def docker_engine():
    engine = DockerEngine().start()  # raises with dockerd's log if the engine cannot run here
    engine.import_busybox()
    yield engine
    engine.stop()


@pytest.fixture
def table(pg):
    """A fresh, empty tick table shaped like the collector's, indexed on its time column."""
    def make() -> str:
        name = f"quotes_{next(_names)}"
        pg.psql(f'CREATE TABLE {name} ("timestamp" timestamptz NOT NULL, instrument_name text, price float8);'
                f'CREATE INDEX ON {name} ("timestamp" DESC)', database="crypto_data")
        return name
    return make


@pytest.fixture
def exporter(tmp_path, pg):
    """start(config_dict, env=..., args=[...]) -> a ready ExporterProcess; the DSN goes in by
    environment, as a secret should, unless the test sets database itself; `args` are extra
    command-line flags (`--no-collector.containers`)."""
    started: list[ExporterProcess] = []

    def start(config: dict, env: dict | None = None, wait: bool = True,
              args: list[str] | None = None) -> ExporterProcess:
        path = tmp_path / f"ticks-{len(started)}.yml"
        path.write_text(yaml.safe_dump(config))
        full_env = {"TICKS_DATABASE__DSN": pg.dsn(database="crypto_data"), **(env or {})}
        proc = ExporterProcess("ticks", path, tmp_path, env=full_env, extra_args=args)
        started.append(proc)
        return proc.wait_ready() if wait else proc

    yield start
    for proc in started:
        proc.stop()
