"""Nectar on TiDB: the rows TiDB answered to the exporter's statements, the dashboard API's
JSON and Nectar's log lines, recorded; the exporter's `/metrics` from them.

The statements are answered from `recorded/rows.yml` (tests/golden/recorded_db.py)
through the exporter's own Database seam, the dashboard API by an in-process HTTP server, the
log lines appended to files the exporter tails: every collector's parsing runs as in production."""
from __future__ import annotations

import tempfile
from pathlib import Path

import lookout.systems.nectar.exporter.db as db_module
from lookout.systems.nectar.exporter import EXPORTER
from lookout.systems.nectar.exporter.db import Flavour
from lookout.exporters.runtime.config import Loader

from tests.golden import json_routes, normalise, scrape
from tests.golden import sources as _sources
from tests.golden.recorded_db import RecordedStatements, replaced

NAME = "nectar"
REPO = "honeycomb-tech/nectar"
record = None   # answers of a live TiDB and Nectar (processes): kept as committed
# Read against this process's wall clock: the tip slot (Cardano slot arithmetic), the lag
# behind it, and the uptime from TiDB's recorded START_TIME (a naive local time).
VOLATILE = ("nectar_chain_tip_slot", "nectar_chain_lag_slots", "nectar_database_uptime_seconds",
            "nectar_database_start_time_seconds")


def folder() -> Path:
    return Path(__file__).resolve().parent / "recorded"


def sources() -> dict:
    return _sources(folder())


def statements() -> RecordedStatements:
    return RecordedStatements(folder() / sources()["rows"]["file"])


class RecordedTiDB:
    """RECORDED ANSWERS standing in for lookout.systems.nectar.exporter.db.Database (same methods)."""

    recorded: RecordedStatements  # set by render()

    def __init__(self, cfg):
        self.flavour = Flavour(sources()["rows"]["server_version"])

    def ping(self, deadline) -> None:
        return None

    def uptime(self, deadline) -> None:  # TiDB: a COM_PING, the uptime is a query
        return None

    def query(self, sql, deadline, args: tuple = ()) -> list[tuple]:
        text = sql(self.flavour) if callable(sql) else sql
        return [tuple(row) for row in self.recorded.rows(text)]

    def close(self) -> None:
        return None


def render() -> str:
    """The exporter's `/metrics` (Prometheus text) from the recorded answers, normalised."""
    src = sources()
    RecordedTiDB.recorded = statements()
    with tempfile.TemporaryDirectory(prefix="lookout-golden-nectar-") as tmp:
        logs = {k: Path(tmp) / src[k]["appended_to"] for k in ("stdout_log", "unified_errors_log")}
        for path in logs.values():
            path.touch()
        with json_routes(src, ("api_status", "api_errors", "api_memory"), folder()) as url:
            cfg = Loader(EXPORTER.namespace, environ={}).load(EXPORTER.config_class, {
                "logfile": {"path": str(logs["stdout_log"]), "unified_errors_path": str(logs["unified_errors_log"])},
                "app": {"url": url},
            })
            with replaced(db_module, "Database", RecordedTiDB):  # build() imports it from .db
                collectors = EXPORTER.build(cfg)

            def append_lines():
                for key, path in logs.items():
                    with path.open("a") as f:
                        f.write((folder() / src[key]["file"]).read_text())
            text = scrape(EXPORTER.namespace, collectors, append_lines)
    return normalise(text, VOLATILE)
