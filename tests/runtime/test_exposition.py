"""The runtime's own families (runtime.families), rendered by runtime.render, give the bytes
prometheus_client's encoders give for prometheus_client's families (issue 24).

Reference: prometheus_client 0.26's `exposition.generate_latest`,
`openmetrics.exposition.generate_latest` and `exposition.choose_encoder`, fed the same
families built with prometheus_client's own *MetricFamily classes. The runtime never imports
prometheus_client (it pulls ssl and http.server); this test may.
"""
from __future__ import annotations

import math

import prometheus_client.core as pc
from hypothesis import given, settings, strategies as st
from prometheus_client import ProcessCollector
from prometheus_client.exposition import choose_encoder

from lookout.exporters.runtime import families as ours
from lookout.exporters.runtime import render
from lookout.exporters.runtime import process
from lookout.exporters.runtime.process import process_families

NAMES = st.from_regex(r"[a-zA-Z_:][a-zA-Z0-9_:]{0,12}", fullmatch=True)
ODD_NAMES = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=8)
LABELS = st.from_regex(r"[a-zA-Z][a-zA-Z0-9_]{0,8}", fullmatch=True)
VALUES = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**12, 10**12),
                   st.sampled_from([0.0, -0.0, 1e-7, 1234567.0, 1e21, 0.1, math.pi]))
TEXTS = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
ACCEPTS = st.sampled_from([
    None, "", "text/plain", "text/plain;version=0.0.4", "text/plain; version=1.0.0; escaping=allow-utf-8",
    "text/plain;version=1.0.0;escaping=dots", "text/plain;version=1.0.0;escaping=values",
    "application/openmetrics-text", "application/openmetrics-text; version=1.0.0",
    "application/openmetrics-text;version=0.0.1", "application/openmetrics-text; version=1.0.0; escaping=underscores",
    "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,text/plain;q=0.5",
    "application/openmetrics-text;version=1.0.0;escaping=dots", "application/openmetrics-text;version=1.0.0;escaping=bogus",
    "text/html, */*", "application/openmetrics-text; version=2.0.0",
])


@st.composite
def family_specs(draw):
    kind = draw(st.sampled_from(["gauge", "counter", "stateset", "summary"]))
    name = draw(st.one_of(NAMES, ODD_NAMES)) if kind != "counter" else draw(NAMES)
    labels = draw(st.lists(LABELS, max_size=3, unique=True))
    unit = draw(st.sampled_from(["", "seconds", "bytes"])) if kind in ("gauge", "counter") else ""
    rows = draw(st.lists(st.tuples(st.lists(TEXTS, min_size=len(labels), max_size=len(labels)), VALUES),
                         max_size=4))
    states = draw(st.lists(LABELS, min_size=1, max_size=3, unique=True))
    return kind, name, draw(TEXTS), labels, unit, rows, states


def build(mod, spec):
    kind, name, doc, labels, unit, rows, states = spec
    if kind == "gauge":
        fam = mod.GaugeMetricFamily(name, doc, labels=labels, unit=unit)
        for values, v in rows:
            fam.add_metric(values, v)
    elif kind == "counter":
        fam = mod.CounterMetricFamily(name, doc, labels=labels, unit=unit)
        for values, v in rows:
            fam.add_metric(values, v)
    elif kind == "stateset":
        fam = mod.StateSetMetricFamily(name, doc, labels=[lb for lb in labels if lb != name])
        for values, v in rows:
            fam.add_metric(values[: len(fam._labelnames)], {s: (i == int(abs(v)) % len(states) if v == v and abs(v) != math.inf else False) for i, s in enumerate(states)})
    else:  # quantiles, as metrics.Quantiles writes them: samples appended by hand
        fam = mod.SummaryMetricFamily(name, doc, labels=labels)
        sample = ours.Sample if mod is ours else pc.Sample
        for q, (values, v) in enumerate(rows):
            fam.samples.append(sample(name, {**dict(zip(labels, values)), "quantile": str(q / 4)}, v, None, None))
    return fam


class _Registry:
    def __init__(self, families):
        self.families = families

    def collect(self):
        return self.families


@settings(max_examples=300, deadline=None)
@given(st.lists(family_specs(), max_size=4), ACCEPTS)
def test_same_bytes_and_content_type_as_prometheus_client(specs, accept):
    theirs_encoder, theirs_type = choose_encoder(accept)
    fmt, escaping, ours_type = render.negotiate(accept)
    assert ours_type == theirs_type
    theirs = theirs_encoder(_Registry([build(pc, s) for s in specs]))
    assert render.encode([build(ours, s) for s in specs], fmt, escaping) == theirs


def test_go_float_matches_prometheus_client():
    from prometheus_client.utils import floatToGoString
    for v in (0, -0.0, 1, 1.5, 1e-7, 123456.0, 1234567.0, 1e21, -1e21, 12345678.9, math.inf, -math.inf, math.nan, 2**53):
        assert render.go_float(v) == floatToGoString(v)


def test_process_families_are_prometheus_clients_process_collector(monkeypatch):
    collector = ProcessCollector(registry=None)
    # Both read /proc/stat's btime once, at start. On a VM whose wall clock is stepped, btime
    # moves with it (a CI run saw 19 s between this module's import and this test), so the
    # source of btime is compared read now, and the arithmetic with one btime.
    assert process._boot_time() == collector._boot_time()
    monkeypatch.setattr(collector, "_btime", process._BTIME)
    theirs = {f.name: f for f in collector.collect()}
    mine = {f.name: f for f in process_families()}
    assert list(mine) == list(theirs)
    for name, fam in mine.items():
        assert (fam.documentation, fam.type, [s.name for s in fam.samples]) == \
               (theirs[name].documentation, theirs[name].type, [s.name for s in theirs[name].samples])
    assert mine["process_start_time_seconds"].samples[0].value == theirs["process_start_time_seconds"].samples[0].value
    assert mine["process_max_fds"].samples[0].value == theirs["process_max_fds"].samples[0].value
