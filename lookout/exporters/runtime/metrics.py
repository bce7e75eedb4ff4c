"""Typed metric descriptors, and the MetricSet a collector writes samples of them into.

A descriptor is declared once, beside the collector that emits it:

    CHAIN_SLOT = Gauge("chain_slot", "Highest indexed slot.")
    CONNS = Gauge("processlist_connections", "Connections.", labels=("command", "state"))

    class ChainCollector(Collector):
        metrics = (CHAIN_SLOT, CONNS)
        async def collect(self, out, deadline):
            out.add(CHAIN_SLOT, 42)
            out.add(CONNS, 3, command="Query", state="executing")

`name` is the short name: the exporter's namespace is prefixed when emitted (`nectar_chain_slot`),
unless the descriptor is `shared=True` (the runtime's `lookout_collector_*` family, one name for
every exporter). A counter's name carries no `_total`; the exposition adds it. Units are base units
(seconds, bytes, ratios) and appear as the name's suffix, as the Prometheus naming guide asks.

Label values are matched to the descriptor's label NAMES: a missing, extra or misspelt label
raises `LabelError` (a programming error, so a collector fails loudly in tests rather than
printing values under the wrong names).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from .exposition import (
    CounterMetricFamily,
    Family as Metric,
    GaugeMetricFamily,
    Sample,
    StateSetMetricFamily,
    SummaryMetricFamily,
)

Labels = Mapping[str, str] | None


class LabelError(ValueError):
    """Sample labels that do not match the descriptor's label names."""


@dataclass(frozen=True)
class Descriptor:
    """One metric family: short name, help text, label names. Subclasses fix the type."""

    name: str
    help: str
    labels: tuple[str, ...] = ()
    unit: str = ""
    shared: bool = False  # True: emitted under `name` as is, without the exporter's namespace

    kind = "untyped"

    def __post_init__(self):
        object.__setattr__(self, "labels", tuple(self.labels))
        if len(set(self.labels)) != len(self.labels):
            raise LabelError(f"{self.name}: duplicate label names {self.labels}")

    def full_name(self, namespace: str) -> str:
        return self.name if self.shared or not namespace else f"{namespace}_{self.name}"

    def exposed_name(self, namespace: str) -> str:
        """The sample name a scrape shows (counters with `_total`)."""
        return self.full_name(namespace)

    def label_values(self, labels: Mapping[str, str]) -> list[str]:
        """Values in the descriptor's label order; raises LabelError on any name mismatch."""
        if set(labels) != set(self.labels):
            missing = sorted(set(self.labels) - set(labels))
            extra = sorted(set(labels) - set(self.labels))
            raise LabelError(f"{self.name}: labels do not match {self.labels}"
                             + (f"; missing {missing}" if missing else "") + (f"; unexpected {extra}" if extra else ""))
        return [str(labels[k]) for k in self.labels]

    def family(self, namespace: str) -> Metric:
        raise NotImplementedError


@dataclass(frozen=True)
class Gauge(Descriptor):
    kind = "gauge"

    def family(self, namespace: str) -> Metric:
        return GaugeMetricFamily(self.full_name(namespace), self.help, labels=list(self.labels), unit=self.unit)


@dataclass(frozen=True)
class Counter(Descriptor):
    """A monotonic count; `name` without `_total`."""

    kind = "counter"

    def __post_init__(self):
        super().__post_init__()
        if self.name.endswith("_total"):
            raise ValueError(f"{self.name}: a counter's name is given without _total")

    def exposed_name(self, namespace: str) -> str:
        return self.full_name(namespace) + "_total"

    def family(self, namespace: str) -> Metric:
        return CounterMetricFamily(self.full_name(namespace), self.help, labels=list(self.labels), unit=self.unit)


@dataclass(frozen=True)
class StateSet(Descriptor):
    """One sample per known state, 1 for the current one (OpenMetrics StateSet).

    An unknown current value is not invented as a new state (that would make the label set
    unbounded); every known state is then 0.
    """

    states: tuple[str, ...] = ()
    kind = "stateset"

    def __post_init__(self):
        super().__post_init__()
        object.__setattr__(self, "states", tuple(self.states))

    def family(self, namespace: str) -> Metric:
        return StateSetMetricFamily(self.full_name(namespace), self.help, labels=list(self.labels))


@dataclass(frozen=True)
class Quantiles(Descriptor):
    """Precomputed percentiles without count or sum, typed as a summary (a gauge with a
    `quantile` label is what promtool flags). `quantile` is added to the label names."""

    kind = "summary"

    def family(self, namespace: str) -> Metric:
        return SummaryMetricFamily(self.full_name(namespace), self.help, labels=list(self.labels))


class MetricSet:
    """Samples of descriptors, grouped into families under the exporter's namespace.

    `commit()` marks everything written so far as final: when the collector then fails,
    the runtime keeps the committed samples and drops the rest (for example a reachability
    gauge written before a later parse error).
    `field_missing(name)` reports a configured field absent from an otherwise good answer;
    the runtime counts it in `lookout_collector_fields_missing_total`.
    """

    def __init__(self, namespace: str):
        self.namespace = namespace
        self._families: dict[str, Metric] = {}
        self._descriptors: dict[str, Descriptor] = {}
        self._committed: dict[str, int] | None = None
        self.missing_fields: list[str] = []

    def name(self, short: str) -> str:
        return f"{self.namespace}_{short}"

    # --- typed emission ------------------------------------------------------------

    def add(self, desc: Descriptor, value, /, **labels: str) -> None:
        """One sample of `desc`: a number, or for a StateSet the current state (or None),
        or for Quantiles a mapping {quantile: value}."""
        values = desc.label_values(labels)
        fam = self._family(desc)
        if isinstance(desc, StateSet):
            fam.add_metric(values, {s: s == value for s in desc.states})
        elif isinstance(desc, Quantiles):
            for q, v in sorted(dict(value).items(), key=lambda kv: float(kv[0])):
                fam.samples.append(_sample(fam.name, {**dict(zip(desc.labels, values)), "quantile": str(q)},
                                           float(v)))
        else:
            fam.add_metric(values, float(value))

    def _family(self, desc: Descriptor) -> Metric:
        full = desc.full_name(self.namespace)
        known = self._descriptors.get(full)
        if known is None:
            self._descriptors[full] = desc
            fam = self._families[full] = desc.family(self.namespace)
            return fam
        if known is not desc and (known.kind, known.labels) != (desc.kind, desc.labels):
            raise LabelError(f"{full}: emitted as {desc.kind}{desc.labels} and as {known.kind}{known.labels}")
        return self._families[full]

    def commit(self) -> None:
        """Everything written so far survives a later failure of this collection."""
        self._committed = {name: len(fam.samples) for name, fam in self._families.items()}

    def field_missing(self, field: str) -> None:
        self.missing_fields.append(field)

    def committed_part(self) -> "MetricSet | None":
        """What survives a failure: the samples written before the last commit(), or None."""
        if not self._committed:
            return None
        kept = MetricSet(self.namespace)
        for name, n in self._committed.items():
            # A copy: a collector given up on may go on writing into its own families.
            fam = copy.copy(self._families[name])
            fam.samples = fam.samples[:n]
            kept._families[name] = fam
            kept._descriptors[name] = self._descriptors[name]
        return kept

    # --- untyped emission, kept until every domain collector declares descriptors ---

    def gauge(self, short: str, doc: str, value: float, labels: Labels = None, unit: str = "") -> None:
        self.add(self._adhoc(Gauge, short, doc, labels, unit=unit), value, **(labels or {}))

    def counter(self, short: str, doc: str, value: float, labels: Labels = None) -> None:
        """`short` without `_total`; the exposition adds it."""
        self.add(self._adhoc(Counter, short, doc, labels), value, **(labels or {}))

    def stateset(self, short: str, doc: str, states: Sequence[str], current: str | None,
                 labels: Labels = None) -> None:
        self.add(self._adhoc(StateSet, short, doc, labels, states=tuple(states)), current, **(labels or {}))

    def _adhoc(self, kind: type, short: str, doc: str, labels: Labels, **kw) -> Descriptor:
        known = self._descriptors.get(self.name(short))
        if known is not None:
            return known  # label names are checked against the first use's, by name
        return kind(short, doc, tuple(labels or ()), **kw)

    # --- reading -----------------------------------------------------------------------

    def families(self) -> Iterable[Metric]:
        return self._families.values()

    def descriptors(self) -> Iterable[Descriptor]:
        return self._descriptors.values()

    def merge(self, other: "MetricSet") -> None:
        for name, fam in other._families.items():
            desc = other._descriptors[name]
            mine = self._families.get(name)
            if mine is None:
                self._families[name] = fam
                self._descriptors[name] = desc
            else:
                self._family(desc)  # checks the two agree on type and label names
                mine.samples.extend(fam.samples)


def _sample(name: str, labels: dict, value: float) -> Sample:
    return Sample(name, labels, value)


def bounded(values: Iterable[str], cap: int, other: str = "other") -> dict[str, str]:
    """Map each distinct value to itself, or to `other` past the first `cap` (sorted) values.

    Keeps label cardinality fixed however many distinct states or users a server reports.
    """
    distinct = sorted(set(values))
    keep = set(distinct[:cap]) if len(distinct) > cap else set(distinct)
    return {v: (v if v in keep else other) for v in distinct}


def exporter_descriptors(namespace: str) -> list[Descriptor]:
    """Every descriptor an exporter can emit: the runtime's own family, then each collector
    class's `metrics` under `lookout.exporters.<namespace>`, sorted by name.

    Used to generate docs/metrics.md and to lint rules and dashboards against real names.
    Raises ImportError for an unknown namespace.
    """
    import importlib
    import pkgutil

    from .collector import Collector
    from .selfmetrics import exporter_self_descriptors

    package = importlib.import_module(f"lookout.exporters.{namespace}")
    for mod in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
        importlib.import_module(mod.name)
    found: dict[str, Descriptor] = {}
    stack = list(Collector.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__module__.startswith(package.__name__ + ".") or cls.__module__ == package.__name__:
            for d in getattr(cls, "metrics", ()):
                found[d.full_name(namespace)] = d
    own = sorted(found.values(), key=lambda d: d.full_name(namespace))
    return list(exporter_self_descriptors()) + own
