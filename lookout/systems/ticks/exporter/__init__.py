"""The ETH option tick collector: TimescaleDB freshness, its Docker container and logs,
and the disk its database lives on (runbook 002)."""
from __future__ import annotations

from lookout.exporters.runtime import Collector, ExporterSpec, Probe

from .. import SYSTEM
from .config import TicksConfig
from .disk import DiskCollector
from .tables import TableCollector


def build(cfg: TicksConfig) -> list[Collector]:
    # Imported here, inside the runtime's lazyssl.only_if (drivers_use_tls): should the client's
    # hashes come from hashlib (pgwire's fallback), they then come without OpenSSL's libcrypto.
    from .database import Database
    db = Database(cfg.database)
    # ticks_up is the ping: a slow table query is that table's failure, not "database down".
    collectors: list[Collector] = [Probe("ping", db.ping), *(TableCollector(db, table) for table in cfg.tables)]
    if cfg.docker:
        from .containers import ContainerCollector
        from .dockerapi import DockerDaemon
        from .logs import LogCollector
        daemon = DockerDaemon(cfg.docker)
        collectors.append(ContainerCollector(daemon))
        if cfg.docker.logs.enabled:
            collectors.append(LogCollector(daemon, cfg.docker.logs))
    if cfg.disk.paths:
        collectors.append(DiskCollector(cfg.disk.paths))
    return collectors


EXPORTER = ExporterSpec(
    namespace=SYSTEM.namespace,
    title="Lookout tick collector exporter",
    config_class=TicksConfig,
    build=build,
    default_port=SYSTEM.port,
    collectors=("ping", "containers", "logs", "disk"),
    switches={"logs": "docker.logs.enabled"},
    # pgwire imports `ssl` itself when a connection negotiates TLS; its hashes (md5, SCRAM) are
    # the builtin modules, or (where those are named otherwise, Python 3.12's _sha2) hashlib,
    # which only_if keeps without OpenSSL unless the DSN's sslmode requires TLS anyway.
    drivers_use_tls=lambda cfg: cfg.database.tls_required(),
)
