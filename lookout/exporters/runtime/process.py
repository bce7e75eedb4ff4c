"""`process_*` metrics about the exporter itself (CPU, memory, open files, start time), unprefixed
as every Go and Python exporter exposes them, so the usual process dashboards and alerts apply.
prometheus_client's ProcessCollector reads /proc/self; elsewhere it yields nothing."""
from __future__ import annotations

from prometheus_client import ProcessCollector
from prometheus_client.metrics_core import Metric

_PROCESS = ProcessCollector(registry=None)  # not the global registry: Lookout renders its own


def process_families() -> list[Metric]:
    return list(_PROCESS.collect())
