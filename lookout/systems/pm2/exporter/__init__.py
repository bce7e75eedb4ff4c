"""The RSS sync server under PM2: its processes (read from the daemon's RPC socket, never
by spawning PM2), its health and queue endpoints, its own log lines and the host's memory."""
from __future__ import annotations

from lookout.exporters.runtime import Collector, ExporterSpec

from .. import SYSTEM
from .config import Pm2Config
from .health import HealthCollector, HealthReader, StatsCollector
from .host import HostCollector
from .processes import ProcessesCollector, ProcessSource
from .synclog import SyncLogCollector
from .watchdog import WatchdogCollector


def build(cfg: Pm2Config) -> list[Collector]:
    # Whether the daemon or the health endpoint answered is the success of the collector
    # that reads it (lookout_collector_success; `processes` is critical, so also pm2_up).
    procs = ProcessSource(cfg.daemon)
    collectors: list[Collector] = [ProcessesCollector(
        procs, cfg.daemon.max_processes, cfg.daemon.expected_processes)]
    if cfg.health:
        collectors.append(HealthCollector(HealthReader(cfg.health)))
        if cfg.health.resolved_stats_url():
            collectors.append(StatsCollector(cfg.health))
    if cfg.sync_log.enabled:
        collectors.append(SyncLogCollector(procs, cfg.sync_log))
    if cfg.watchdog.path:
        collectors.append(WatchdogCollector(cfg.watchdog))
    if cfg.host.enabled:
        collectors.append(HostCollector())
    return collectors


EXPORTER = ExporterSpec(
    namespace=SYSTEM.namespace,
    title="Lookout PM2 exporter",
    config_class=Pm2Config,
    build=build,
    default_port=SYSTEM.port,
    collectors=("processes", "health", "sync_stats", "sync_log", "host"),
    switches={"sync_log": "sync_log.enabled", "host": "host.enabled"},
)
