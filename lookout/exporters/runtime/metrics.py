"""Typed metric descriptors, and the MetricSet a collector writes samples of them into.

A descriptor is declared once, beside the collector that emits it:

    CHAIN_SLOT = Gauge("chain_slot", "Highest indexed slot.")
    CONNS = Gauge("processlist_connections", "Connections.", labels=("command", "state"))

    class ChainCollector(Collector):
        metrics = (CHAIN_SLOT, CONNS)
        def collect(self, out, deadline):
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

from lookout.records import record
from operator import attrgetter, itemgetter
TYPE_CHECKING = False  # typing's own flag, without importing typing (issue 24: start-up)
if TYPE_CHECKING:
    from typing import Iterable, Mapping, Sequence

from .families import (
    CounterMetricFamily,
    Family as Metric,
    GaugeMetricFamily,
    Sample,
    StateSetMetricFamily,
    SummaryMetricFamily,
)


class LabelError(ValueError):
    """Sample labels that do not match the descriptor's label names."""


@record(frozen=True)
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
        # For MetricSet.add, per sample: the names as a set, and a reader of the values in
        # sorted-name order (the order both exposition formats print labels in).
        ordered = tuple(sorted(self.labels))
        object.__setattr__(self, "sorted_labels", ordered)
        object.__setattr__(self, "label_set", frozenset(self.labels))
        if not ordered:
            values = _no_values
        elif len(ordered) == 1:
            key = ordered[0]
            values = (lambda labels: (str(labels[key]),))
        else:
            get = itemgetter(*ordered)
            values = (lambda labels: tuple(map(str, get(labels))))
        object.__setattr__(self, "sorted_values", values)

    def exposed_family_name(self, namespace: str) -> str:
        """The family's name in the exposition: the full name, plus `_<unit>` when a unit is set."""
        full = self.full_name(namespace)
        return full + "_" + self.unit if self.unit and not full.endswith("_" + self.unit) else full

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
        """This descriptor's family in prometheus_client's shape (MetricSet.families(), for tests)."""
        raise NotImplementedError


@record(frozen=True)
class Gauge(Descriptor):
    kind = "gauge"

    def family(self, namespace: str) -> Metric:
        return GaugeMetricFamily(self.full_name(namespace), self.help, labels=list(self.labels), unit=self.unit)


@record(frozen=True)
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


@record(frozen=True)
class StateSet(Descriptor):
    """One sample per known state, 1 for the current one (OpenMetrics StateSet).

    An unknown current value is not invented as a new state (that would make the label set
    unbounded); every known state is then 0.
    """

    states: tuple[str, ...] = ()
    kind = "stateset"

    def __post_init__(self):
        super().__post_init__()
        # A state named twice is one state (an OpenMetrics StateSet's states are a set).
        object.__setattr__(self, "states", tuple(dict.fromkeys(self.states)))

    def family(self, namespace: str) -> Metric:
        return StateSetMetricFamily(self.full_name(namespace), self.help, labels=list(self.labels))


@record(frozen=True)
class Quantiles(Descriptor):
    """Precomputed percentiles without count or sum, typed as a summary (a gauge with a
    `quantile` label is what promtool flags). `quantile` is added to the label names."""

    kind = "summary"

    def family(self, namespace: str) -> Metric:
        return SummaryMetricFamily(self.full_name(namespace), self.help, labels=list(self.labels))


class Family:
    """One family of a MetricSet: its descriptor, its name in the exposition, and its samples as
    rows `(label values in sorted label-name order, value)`. The value is a float; for a
    StateSet the current state (or None); for Quantiles a list of (quantile, value) sorted by
    quantile. Rendered by runtime.render without building a prometheus_client object."""

    __slots__ = ("desc", "namespace", "name", "rows")

    def __init__(self, desc: Descriptor, namespace: str, rows: list | None = None):
        self.desc = desc
        self.namespace = namespace
        self.name = desc.exposed_family_name(namespace)
        self.rows: list[tuple[tuple[str, ...], object]] = rows if rows is not None else []

    def metric(self) -> Metric:
        """The same samples as a family in prometheus_client's shape (for tests and other readers)."""
        desc = self.desc
        fam = desc.family(self.namespace)
        order = desc.sorted_labels
        for values, value in self.rows:
            by_name = dict(zip(order, values))
            ordered = [by_name[k] for k in desc.labels]
            if isinstance(desc, StateSet):
                fam.add_metric(ordered, {s: s == value for s in desc.states})
            elif isinstance(desc, Quantiles):
                for q, v in value:
                    fam.samples.append(_sample(fam.name, {**by_name, "quantile": q}, v))
            else:
                fam.add_metric(ordered, value)
        return fam


class Labels:
    """One label set, checked and ordered once, for MetricSet.add_many: `Labels(desc, name="a")`
    holds the values as strings in sorted label-name order, valid for every descriptor with
    `desc`'s label names."""

    __slots__ = ("names", "values")

    def __init__(self, desc: Descriptor, /, **labels: str):
        if labels.keys() != desc.label_set:
            desc.label_values(labels)  # raises LabelError naming what is missing or unexpected
        self.names = desc.label_set
        self.values = desc.sorted_values(labels)


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
        self._families: dict[str, Family] = {}
        # id(descriptor) -> (descriptor, its family's rows): the descriptor is held so its id is
        # not reused.
        self._by_id: dict[int, tuple] = {}
        self._committed: dict[str, int] | None = None
        self.missing_fields: list[str] = []

    def name(self, short: str) -> str:
        return f"{self.namespace}_{short}"

    # --- typed emission ------------------------------------------------------------

    def add(self, desc: Descriptor, value, /, **labels: str) -> None:
        """One sample of `desc`: a number, or for a StateSet the current state (or None),
        or for Quantiles a mapping {quantile: value}."""
        if labels.keys() != desc.label_set:
            desc.label_values(labels)  # raises LabelError naming what is missing or unexpected
        self._append(desc, desc.sorted_values(labels), value)

    def add_many(self, desc: Descriptor, labels: Sequence[Labels], values: Sequence, /) -> None:
        """add() for each labels[i] with values[i], in order: one call for a family's hundreds of
        samples (a collector writing a dozen families per process of a list of hundreds).
        Raises LabelError when `desc`'s label names are not the ones a Labels was made for,
        ValueError when the two differ in length. No samples: no family, as with add."""
        if len(labels) != len(values):
            raise ValueError(f"{desc.name}: {len(labels)} label sets for {len(values)} values")
        if not labels:
            return
        names = desc.label_set
        for given in set(map(_names, labels)):
            if given is not names and given != names:
                raise LabelError(f"{desc.name}: labels {sorted(given)} given for {desc.labels}")
        self._rows(desc).extend(zip(map(_label_values, labels), map(_kept(desc.kind), values)))

    def _append(self, desc: Descriptor, values: tuple, value) -> None:
        self._rows(desc).append((values, _kept(desc.kind)(value)))

    def _rows(self, desc: Descriptor) -> list:
        known = self._by_id.get(id(desc))
        return known[1] if known is not None else self._family(desc).rows

    def _family(self, desc: Descriptor) -> Family:
        full = desc.full_name(self.namespace)
        fam = self._families.get(full)
        if fam is None:
            if desc.kind not in _KINDS:  # a bare Descriptor has no type to print
                raise NotImplementedError(f"{full}: a {type(desc).__name__} has no exposition type")
            fam = self._families[full] = Family(desc, self.namespace)
        elif fam.desc is not desc and (fam.desc.kind, fam.desc.labels) != (desc.kind, desc.labels):
            raise LabelError(f"{full}: emitted as {desc.kind}{desc.labels} and as {fam.desc.kind}{fam.desc.labels}")
        self._by_id[id(desc)] = (desc, fam.rows)
        return fam

    def commit(self) -> None:
        """Everything written so far survives a later failure of this collection."""
        self._committed = {name: len(fam.rows) for name, fam in self._families.items()}

    def field_missing(self, field: str) -> None:
        self.missing_fields.append(field)

    def committed_part(self) -> "MetricSet | None":
        """What survives a failure: the samples written before the last commit(), or None."""
        if not self._committed:
            return None
        kept = MetricSet(self.namespace)
        for name, n in self._committed.items():
            # A copy: a collector given up on may go on writing into its own families.
            fam = self._families[name]
            kept._families[name] = Family(fam.desc, fam.namespace, fam.rows[:n])
        return kept

    # --- reading -----------------------------------------------------------------------

    def rows(self) -> Iterable[Family]:
        """The families as rows, for runtime.render."""
        return self._families.values()

    def families(self) -> list[Metric]:
        """The families as Metric objects in prometheus_client's shape (built on each call: for tests
        and readers; the exposition reads rows())."""
        return [fam.metric() for fam in self._families.values()]

    def descriptors(self) -> Iterable[Descriptor]:
        return [fam.desc for fam in self._families.values()]

    def merge(self, other: "MetricSet") -> None:
        for name, fam in other._families.items():
            mine = self._families.get(name)
            if mine is None:
                # A copy: the part may be merged again (a partial answer, then the full one).
                mine = self._families[name] = Family(fam.desc, fam.namespace, list(fam.rows))
                self._by_id[id(fam.desc)] = (fam.desc, mine.rows)
            else:
                self._family(fam.desc)  # checks the two agree on type and label names
                mine.rows.extend(fam.rows)


_NUMERIC = frozenset(("gauge", "counter"))
_KINDS = frozenset(("gauge", "counter", "stateset", "summary"))


def _kept(kind: str):
    """How a sample's value is stored: a float, a Quantiles' (quantile, value) pairs, or a
    StateSet's current state as given (each known state is compared with it when rendered)."""
    return float if kind in _NUMERIC else _quantiles if kind == "summary" else _as_given


_names, _label_values = attrgetter("names"), attrgetter("values")


def _as_given(value):
    return value


def _quantiles(value) -> list[tuple[str, float]]:
    """A Quantiles sample: {quantile: value} as (quantile, value) pairs sorted by quantile."""
    if value.__class__ is dict:  # the usual case: the same quantiles, as strings, sample after sample
        order = _QUANTILE_ORDERS.get(tuple(value))
        if order is not None:
            return [(q, float(value[q])) for q in order]
    pairs = [(str(q), float(v)) for q, v in (value if isinstance(value, dict) else dict(value)).items()]
    pairs.sort(key=_by_quantile)
    if value.__class__ is dict and len(_QUANTILE_ORDERS) < 64 and all(q.__class__ is str for q in value):
        _QUANTILE_ORDERS[tuple(value)] = tuple(q for q, _ in pairs)
    return pairs


# {a dict's quantiles as listed: them sorted}, for dicts whose quantiles are strings.
_QUANTILE_ORDERS: dict[tuple, tuple] = {}


def _by_quantile(pair: tuple[str, float]) -> float:
    return float(pair[0])


def _no_values(labels) -> tuple:
    return ()


def _sample(name: str, labels: dict, value: float) -> Sample:
    return Sample(name, labels, value)


def bounded(values: Iterable[str], cap: int, other: str = "other") -> dict[str, str]:
    """Map each distinct value to itself, or to `other` past the first `cap` (sorted) values.

    Keeps label cardinality fixed however many distinct states or users a server reports.
    """
    distinct = sorted(set(values))
    keep = set(distinct[:cap]) if len(distinct) > cap else set(distinct)
    return {v: (v if v in keep else other) for v in distinct}
