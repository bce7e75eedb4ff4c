"""What a collector writes into: named metric families under the exporter's namespace."""
from __future__ import annotations

from typing import Iterable, Mapping, Sequence

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    InfoMetricFamily,
    Metric,
    StateSetMetricFamily,
)

Labels = Mapping[str, str] | None


class MetricSet:
    """Families keyed by full name; a family is created on first use and samples appended.

    Collectors call `gauge("chain_slot", "...", 42)` or with labels
    `gauge("processlist_connections", "...", 3, {"command": "Query"})`; the namespace
    prefix is added here so that no collector spells it.
    """

    def __init__(self, namespace: str):
        self.namespace = namespace
        self._families: dict[str, Metric] = {}

    def name(self, short: str) -> str:
        return f"{self.namespace}_{short}"

    def _family(self, kind, short: str, doc: str, labels: Labels, **kw) -> Metric:
        full = self.name(short)
        fam = self._families.get(full)
        if fam is None:
            fam = kind(full, doc, labels=list(labels or ()), **kw)
            self._families[full] = fam
        return fam

    def gauge(self, short: str, doc: str, value: float, labels: Labels = None, unit: str = "") -> None:
        fam = self._family(GaugeMetricFamily, short, doc, labels, unit=unit)
        fam.add_metric(list((labels or {}).values()), float(value))

    def counter(self, short: str, doc: str, value: float, labels: Labels = None) -> None:
        """`short` without `_total`; the exposition adds it."""
        fam = self._family(CounterMetricFamily, short, doc, labels)
        fam.add_metric(list((labels or {}).values()), float(value))

    def stateset(self, short: str, doc: str, states: Sequence[str], current: str | None,
                 labels: Labels = None) -> None:
        """One sample per known state, 1 for the current one (OpenMetrics StateSet).

        An unknown current value is not invented as a new state (that would make the
        label set unbounded); every known state is then 0.
        """
        fam = self._family(StateSetMetricFamily, short, doc, labels)
        fam.add_metric(list((labels or {}).values()), {s: s == current for s in states})

    def info(self, short: str, doc: str, info: Mapping[str, str], labels: Labels = None) -> None:
        fam = self._family(InfoMetricFamily, short, doc, labels)
        fam.add_metric(list((labels or {}).values()), dict(info))

    def families(self) -> Iterable[Metric]:
        return self._families.values()

    def merge(self, other: "MetricSet") -> None:
        for name, fam in other._families.items():
            mine = self._families.get(name)
            if mine is None:
                self._families[name] = fam
            else:
                mine.samples.extend(fam.samples)


def bounded(values: Iterable[str], cap: int, other: str = "other") -> dict[str, str]:
    """Map each distinct value to itself, or to `other` past the first `cap` (sorted) values.

    Keeps label cardinality fixed however many distinct states or users a server reports.
    """
    distinct = sorted(set(values))
    keep = set(distinct[:cap]) if len(distinct) > cap else set(distinct)
    return {v: (v if v in keep else other) for v in distinct}
