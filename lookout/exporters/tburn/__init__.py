"""TBURN mainnet: its monitoring routes (JSON and its own Prometheus text) as Lookout metrics."""
from __future__ import annotations

from lookout.exporters.runtime import Collector, ExporterSpec

from .client import TburnClient
from .collectors import EndpointCollector, HealthCollector
from .config import TburnConfig
from .endpoints import ENDPOINTS, HEALTH


def build(cfg: TburnConfig) -> list[Collector]:
    client = TburnClient(cfg)  # one connection pool shared by every endpoint
    collectors: list[Collector] = [HealthCollector(client, cfg.endpoints.health, cfg.timeout_seconds)]
    for endpoint in ENDPOINTS:
        ecfg = getattr(cfg.endpoints, endpoint.name)
        if ecfg.is_enabled(endpoint.name):
            collectors.append(EndpointCollector(endpoint, client, ecfg, cfg))
    return collectors


EXPORTER = ExporterSpec(
    namespace="tburn",
    title="Lookout TBURN exporter",
    config_class=TburnConfig,
    build=build,
    default_port=9864,
    collectors=(HEALTH.name, *(e.name for e in ENDPOINTS)),
    switches={e.name: f"endpoints.{e.name}.enabled" for e in ENDPOINTS},
)
