"""Nectar (Cardano indexer) and its TiDB database: chain progress, processlist, restarts,
the Nectar process and its log."""
from __future__ import annotations

from lookout.exporters.runtime import Collector, ExporterSpec, Probe

from .. import SYSTEM
from .app import AppCollector
from .chain import ChainCollector
from .config import NectarConfig
from .db import Database
from .logfile import LogFileCollector
from .process import ProcessCollector
from .processlist import ProcesslistCollector
from .server import ServerCollector


def build(cfg: NectarConfig) -> list[Collector]:
    db = Database(cfg.database)
    # nectar_up is the ping: a blocked chain query is the chain collector's failure, not "down".
    collectors: list[Collector] = [Probe("ping", db.ping), ChainCollector(db, cfg.chain), ServerCollector(db)]
    if cfg.processlist.enabled:
        collectors.append(ProcesslistCollector(db, cfg.processlist))
    if cfg.process:
        collectors.append(ProcessCollector(cfg.process))
    if cfg.logfile:
        collectors.append(LogFileCollector(cfg.logfile))
    if cfg.app:
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
)
