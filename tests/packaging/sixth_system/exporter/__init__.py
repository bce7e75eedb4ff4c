"""The nightly backup: restic's summary of the last backup that completed, read from the status
file the cron job leaves (no server, no session: one file read per scrape)."""
from __future__ import annotations

from lookout.exporters.runtime import Collector, ExporterSpec

from .. import SYSTEM
from .config import BackupConfig
from .status import StatusCollector


def build(cfg: BackupConfig) -> list[Collector]:
    return [StatusCollector(cfg)]


EXPORTER = ExporterSpec(
    namespace=SYSTEM.namespace,
    title="Lookout nightly backup exporter",
    config_class=BackupConfig,
    build=build,
    default_port=SYSTEM.port,
    collectors=("status",),
)
