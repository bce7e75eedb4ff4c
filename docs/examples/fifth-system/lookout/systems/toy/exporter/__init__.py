"""The toy queue's exporter: reads GET <base_url>/stats, {"queue_depth": int, "workers": int}."""
from __future__ import annotations

import json
from dataclasses import dataclass

import aiohttp

from lookout.exporters.runtime import (CollectError, Collector, ConfigError, Deadline, ExporterSpec, Gauge,
                                       MetricSet)

QUEUE_DEPTH = Gauge("queue_depth", "Jobs waiting in the queue.")
WORKERS = Gauge("workers", "Workers taking jobs.")
FIELDS = {"queue_depth": QUEUE_DEPTH, "workers": WORKERS}


@dataclass
class ToyConfig:
    base_url: str = ""

    def validate(self, path: str) -> None:
        if not self.base_url.startswith(("http://", "https://")):
            raise ConfigError(f"{path}.base_url" if path else "base_url", f"must be an http(s) URL, got {self.base_url!r}")


class StatsCollector(Collector):
    name = "stats"
    critical = True  # the only backend: its answer decides toy_up
    metrics = (QUEUE_DEPTH, WORKERS)

    def __init__(self, base_url: str):
        self.url = base_url.rstrip("/") + "/stats"

    def field_names(self):
        return tuple(FIELDS)

    async def collect(self, out: MetricSet, deadline: Deadline) -> None:
        timeout = aiohttp.ClientTimeout(total=deadline.remaining())
        async with aiohttp.ClientSession(timeout=timeout) as session, session.get(self.url) as resp:
            if resp.status != 200:
                raise CollectError("query", f"/stats answered {resp.status}")
            body = json.loads(await resp.content.read(1 << 20))
        for field, desc in FIELDS.items():
            if body.get(field) is None:
                out.field_missing(field)
            else:
                out.add(desc, float(body[field]))


def build(cfg: ToyConfig) -> list[Collector]:
    return [StatsCollector(cfg.base_url)]


EXPORTER = ExporterSpec(namespace="toy", title="Lookout toy queue exporter", config_class=ToyConfig,
                        build=build, default_port=9865)
