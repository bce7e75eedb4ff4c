"""Nectar (Cardano indexer) and its TiDB database: chain progress, processlist, restarts,
the Nectar process and its log."""
from __future__ import annotations

from lookout.exporters.runtime import Collector, ExporterSpec, Probe

from .. import SYSTEM
from .chain import ChainCollector
from .config import NectarConfig
from .processlist import ProcesslistCollector
from .server import ServerCollector


def build(cfg: NectarConfig) -> list[Collector]:
    # Imported here, for what the configuration uses: PyMySQL under the runtime's TLS choice
    # (drivers_use_tls below), psutil, the log tail and the HTTP client only when configured.
    from .db import Database
    db = Database(cfg.database)
    # nectar_up is the ping: a blocked chain query is the chain collector's failure, not "down".
    collectors: list[Collector] = [Probe("ping", db.ping), ChainCollector(db, cfg.chain), ServerCollector(db)]
    if cfg.processlist.enabled:
        collectors.append(ProcesslistCollector(db, cfg.processlist))
    if cfg.process:
        from .process import ProcessCollector
        collectors.append(ProcessCollector(cfg.process))
    if cfg.logfile:
        from .logfile import LogFileCollector
        collectors.append(LogFileCollector(cfg.logfile))
    if cfg.app:
        from .app import AppCollector
        collectors.append(AppCollector(cfg.app))
    return collectors


EXPORTER = ExporterSpec(
    namespace=SYSTEM.namespace,
    title="Lookout Nectar exporter",
    config_class=NectarConfig,
    build=build,
    default_port=SYSTEM.port,
    collectors=("ping", "chain", "server", "processlist", "process", "logfile", "app"),
    switches={"processlist": "processlist.enabled"},
    # PyMySQL 1.2.4 falls back to SSL_ENABLED = False without `ssl`.
    drivers_use_tls=lambda cfg: cfg.database.ssl_mode != "disabled",
)
