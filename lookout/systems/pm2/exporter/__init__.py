"""The RSS sync server under PM2: its processes (read from the daemon's RPC socket, never
by spawning PM2), its health and queue endpoints, its own log lines and the host's memory."""
from __future__ import annotations

from lookout.exporters.runtime import Collector, ExporterSpec

from .. import SYSTEM
from .config import Pm2Config
from .processes import ProcessesCollector, ProcessSource


def build(cfg: Pm2Config) -> list[Collector]:
    # The optional collectors' modules are imported only when configured: psutil (host, about
    # 0.4 MB RSS), the log tail (sync_log), the HTTP client (health).
    # Whether the daemon or the health endpoint answered is the success of the collector
    # that reads it (lookout_collector_success; `processes` is critical, so also pm2_up).
    # Its readers: the processes collector and the sync-log collector (when enabled).
    procs = ProcessSource(cfg.daemon, readers=1 + bool(cfg.sync_log.enabled))
    collectors: list[Collector] = [ProcessesCollector(
        procs, cfg.daemon.max_processes, cfg.daemon.expected_processes)]
    if cfg.health:
        from .health import HealthCollector, HealthReader, StatsCollector
        collectors.append(HealthCollector(HealthReader(cfg.health)))
        if cfg.health.resolved_stats_url():
            collectors.append(StatsCollector(cfg.health))
    if cfg.sync_log.enabled:
        from .synclog import SyncLogCollector
        collectors.append(SyncLogCollector(procs, cfg.sync_log))
    if cfg.watchdog.path:
        from .watchdog import WatchdogCollector
        collectors.append(WatchdogCollector(cfg.watchdog))
    if cfg.host.enabled:
        from .host import HostCollector
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
