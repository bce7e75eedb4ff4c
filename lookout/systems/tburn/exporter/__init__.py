"""TBURN mainnet: its monitoring routes (JSON and its own Prometheus text) as Lookout metrics."""
from __future__ import annotations

from lookout.exporters.runtime import Collector, ExporterSpec

from .. import SYSTEM
from .client import TburnClient
from .collectors import EndpointCollector, HealthCollector
from .config import TburnConfig
from .endpoints import ENDPOINTS, HEALTH


def build(cfg: TburnConfig) -> list[Collector]:
    enabled = [(e, getattr(cfg.endpoints, e.name)) for e in ENDPOINTS]
    enabled = [(e, ecfg) for e, ecfg in enabled if ecfg.is_enabled(e.name)]
    # The configured paths of the routes TBURN's request counters include (endpoints.py).
    counted = frozenset(ecfg.path or e.path for e, ecfg in enabled if e.counted)
    client = TburnClient(cfg, counted)  # one connection pool shared by every endpoint
    collectors: list[Collector] = [HealthCollector(client, cfg.endpoints.health, cfg.timeout_seconds)]
    collectors += [EndpointCollector(e, client, ecfg, cfg) for e, ecfg in enabled]
    return collectors


EXPORTER = ExporterSpec(
    namespace=SYSTEM.namespace,
    title="Lookout TBURN exporter",
    config_class=TburnConfig,
    build=build,
    default_port=SYSTEM.port,
    collectors=(HEALTH.name, *(e.name for e in ENDPOINTS)),
    switches={e.name: f"endpoints.{e.name}.enabled" for e in ENDPOINTS},
)
