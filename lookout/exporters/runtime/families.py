"""Metric families in prometheus_client's shape, without importing prometheus_client.

Why not prometheus_client's: importing any part of prometheus_client runs its package
`__init__`, which imports its exposition module and with it `ssl`, `http.server`,
`urllib.request` and `wsgiref` (about 5 MB of a 17 MB exporter, issue 24). The classes here
have the same shape as prometheus_client's `*MetricFamily` classes (`name`, `documentation`,
`type`, `unit`, `samples`, `add_metric`), so `runtime.render` encodes them like the MetricSet's
rows; tests/runtime/test_exposition.py compares the bytes with prometheus_client 0.26's
encoders fed prometheus_client's own families.
"""
from __future__ import annotations

from collections import namedtuple

TYPE_CHECKING = False  # typing's own flag, without importing typing (issue 24: start-up)
if TYPE_CHECKING:
    from typing import Sequence

_TYPES = ("counter", "gauge", "summary", "histogram", "gaugehistogram", "unknown", "info", "stateset")

# prometheus_client's Sample (name: str, labels: dict, value: float, timestamp: float | None,
# exemplar, native_histogram): a typing.NamedTuple there, the same namedtuple class here without
# importing typing (about 4 ms of an exporter's start-up, issue 24).
Sample = namedtuple("Sample", ("name", "labels", "value", "timestamp", "exemplar", "native_histogram"),
                    defaults=(None, None, None))


class Family:
    """One metric family: OpenMetrics name (a counter's without `_total`), help, type, unit, samples."""

    def __init__(self, name: str, documentation: str, typ: str, unit: str = "", labels: Sequence[str] = ()):
        if unit and not name.endswith("_" + unit):
            name += "_" + unit
        if not name:
            raise ValueError("metric name cannot be empty")
        typ = "unknown" if typ == "untyped" else typ
        if typ not in _TYPES:
            raise ValueError("Invalid metric type: " + typ)
        self.name, self.documentation, self.type, self.unit = name, documentation, typ, unit
        self._labelnames = tuple(labels)
        self.samples: list[Sample] = []


class GaugeMetricFamily(Family):
    def __init__(self, name: str, documentation: str, labels: Sequence[str] = (), unit: str = ""):
        super().__init__(name, documentation, "gauge", unit, labels)

    def add_metric(self, labels: Sequence[str], value: float) -> None:
        self.samples.append(Sample(self.name, dict(zip(self._labelnames, labels)), value))


class CounterMetricFamily(Family):
    def __init__(self, name: str, documentation: str, labels: Sequence[str] = (), unit: str = ""):
        super().__init__(name[:-6] if name.endswith("_total") else name, documentation, "counter", unit, labels)

    def add_metric(self, labels: Sequence[str], value: float) -> None:
        self.samples.append(Sample(self.name + "_total", dict(zip(self._labelnames, labels)), value))


class StateSetMetricFamily(Family):
    def __init__(self, name: str, documentation: str, labels: Sequence[str] = ()):
        super().__init__(name, documentation, "stateset", "", labels)

    def add_metric(self, labels: Sequence[str], value: dict[str, bool]) -> None:
        names, labels = self._labelnames + (self.name,), tuple(labels)
        for state, enabled in sorted(value.items()):
            self.samples.append(Sample(self.name, dict(zip(names, labels + (state,))), 1 if enabled else 0))


class SummaryMetricFamily(Family):
    def __init__(self, name: str, documentation: str, labels: Sequence[str] = (), unit: str = ""):
        super().__init__(name, documentation, "summary", unit, labels)
