"""Metric families and their exposition: Prometheus text 0.0.4 and OpenMetrics 1.0, chosen by Accept.

Why not prometheus_client's: importing any part of prometheus_client runs its package
`__init__`, which imports its exposition module and with it `ssl`, `http.server`,
`urllib.request` and `wsgiref` (about 5 MB of a 17 MB exporter, issue 24). The families here
have the same shape as prometheus_client's `*MetricFamily` classes (`name`, `documentation`,
`type`, `unit`, `samples`, `add_metric`) and the encoders write the same bytes as
`prometheus_client.exposition.generate_latest` and
`prometheus_client.openmetrics.exposition.generate_latest` (0.26) for them;
tests/runtime/test_exposition.py compares the two on generated families.
Exemplars and native histograms are left out: no Lookout metric has them.
"""
from __future__ import annotations

import math
import re
from typing import Callable, Iterable, NamedTuple, Sequence

TEXT_0_0_4 = "text/plain; version=0.0.4; charset=utf-8"
TEXT_1_0_0 = "text/plain; version=1.0.0; charset=utf-8"
OPENMETRICS_1_0_0 = "application/openmetrics-text; version=1.0.0; charset=utf-8"

ALLOWUTF8, UNDERSCORES, DOTS, VALUES = "allow-utf-8", "underscores", "dots", "values"
_ESCAPINGS = (ALLOWUTF8, UNDERSCORES, DOTS, VALUES)

_METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_TYPES = ("counter", "gauge", "summary", "histogram", "gaugehistogram", "unknown", "info", "stateset")


class Sample(NamedTuple):
    name: str
    labels: dict
    value: float
    timestamp: float | None = None
    exemplar: None = None


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


# --- numbers and names ---------------------------------------------------------------------

def go_float(d) -> str:
    """A float as Go's strconv writes it (prometheus_client.utils.floatToGoString)."""
    d = float(d)
    if d == math.inf:
        return "+Inf"
    if d == -math.inf:
        return "-Inf"
    if d != d:
        return "NaN"
    s = repr(d)
    dot = s.find(".")
    if d > 0 and dot > 6:  # Go switches to exponents sooner than Python
        mantissa = f"{s[0]}.{s[1:dot]}{s[dot + 1:]}".rstrip("0.")
        return f"{mantissa}e+{dot - 1:02d}"
    return s


def _legacy_metric_name(s: str) -> bool:
    return bool(s) and _METRIC_NAME.match(s) is not None


def _legacy_label_name(s: str) -> bool:
    return bool(s) and _LABEL_NAME.match(s) is not None and not s.startswith("__")


def _label_rune(b: str, i: int) -> bool:
    return "a" <= b <= "z" or "A" <= b <= "Z" or b == "_" or ("0" <= b <= "9" and i > 0)


def _metric_rune(b: str, i: int) -> bool:
    return _label_rune(b, i) or b == ":"


def _escape(s: str, escaping: str, valid: Callable[[str, int], bool]) -> str:
    if escaping == ALLOWUTF8:
        return s.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")
    out = []
    if escaping == UNDERSCORES:
        for i, b in enumerate(s):
            out.append(b if valid(b, i) else "_")
    elif escaping == DOTS:
        for i, b in enumerate(s):
            out.append("__" if b == "_" else "_dot_" if b == "." else b if valid(b, i) else "__")
    elif escaping == VALUES:
        out.append("U__")
        for i, b in enumerate(s):
            if b == "_":
                out.append("__")
            elif valid(b, i):
                out.append(b)
            elif 0xD800 <= ord(b) <= 0xDFFF:
                out.append("_FFFD_")
            else:
                out.append(f"_{ord(b):x}_")
    else:
        return s
    return "".join(out)


def _escape_name(s: str, escaping: str, legacy: Callable[[str], bool], valid) -> str:
    if not s:
        return s
    if escaping == ALLOWUTF8:
        return _escape(s, escaping, valid) if legacy(s) else f'"{_escape(s, escaping, valid)}"'
    if escaping in (UNDERSCORES, VALUES) and legacy(s):
        return s
    if escaping in (UNDERSCORES, DOTS, VALUES):
        return _escape(s, escaping, valid)
    return s


def escape_metric_name(s: str, escaping: str = UNDERSCORES) -> str:
    return _escape_name(s, escaping, _legacy_metric_name, _metric_rune)


def escape_label_name(s: str, escaping: str = UNDERSCORES) -> str:
    return _escape_name(s, escaping, _legacy_label_name, _label_rune)


def _label_value(v: str) -> str:
    return v.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")


# --- the two formats -----------------------------------------------------------------------

def text(families: Iterable[Family], escaping: str = UNDERSCORES) -> bytes:
    """The Prometheus text format 0.0.4 (OpenMetrics types folded into Prometheus ones)."""
    def line(s: Sample) -> str:
        labelstr = ",".join(f'{escape_label_name(k, escaping)}="{_label_value(v)}"'
                            for k, v in sorted(s.labels.items())) if s.labels else ""
        ts = f" {int(float(s.timestamp) * 1000):d}" if s.timestamp is not None else ""
        if escaping != ALLOWUTF8 or _legacy_metric_name(s.name):
            return f"{escape_metric_name(s.name, escaping)}{'{' + labelstr + '}' if labelstr else ''} {go_float(s.value)}{ts}\n"
        return f"{{{escape_metric_name(s.name, escaping)}{',' if labelstr else ''}{labelstr}}} {go_float(s.value)}{ts}\n"

    out: list[str] = []
    for fam in families:
        name, typ = fam.name, fam.type
        if typ == "counter":
            name += "_total"
        elif typ == "info":
            name, typ = name + "_info", "gauge"
        elif typ == "stateset":
            typ = "gauge"
        elif typ == "gaugehistogram":
            typ = "histogram"
        elif typ == "unknown":
            typ = "untyped"
        doc = fam.documentation.replace("\\", r"\\").replace("\n", r"\n")
        out.append(f"# HELP {escape_metric_name(name, escaping)} {doc}\n")
        out.append(f"# TYPE {escape_metric_name(name, escaping)} {typ}\n")
        extra: dict[str, list[str]] = {}
        for s in fam.samples:
            for suffix in ("_created", "_gsum", "_gcount"):
                if s.name == fam.name + suffix:
                    extra.setdefault(suffix, []).append(line(s))
                    break
            else:
                out.append(line(s))
        for suffix, lines in sorted(extra.items()):
            out.append(f"# HELP {escape_metric_name(fam.name + suffix, escaping)} {doc}\n")
            out.append(f"# TYPE {escape_metric_name(fam.name + suffix, escaping)} gauge\n")
            out.extend(lines)
    return "".join(out).encode("utf-8")


def openmetrics(families: Iterable[Family], escaping: str = UNDERSCORES) -> bytes:
    """OpenMetrics 1.0 text, ending in `# EOF`."""
    out: list[str] = []
    for fam in families:
        mname = escape_metric_name(fam.name, escaping)
        out.append(f"# HELP {mname} {_escape(fam.documentation, ALLOWUTF8, _label_rune)}\n")
        out.append(f"# TYPE {mname} {fam.type}\n")
        if fam.unit:
            out.append(f"# UNIT {mname} {fam.unit}\n")
        for s in fam.samples:
            utf8_name = escaping == ALLOWUTF8 and not _legacy_metric_name(s.name)
            labelstr = escape_metric_name(s.name, escaping) + ("," if s.labels else "") if utf8_name else ""
            if s.labels:
                labelstr += ",".join(f'{escape_label_name(k, escaping)}="{_label_value(v)}"'
                                     for k, v in sorted(s.labels.items()))
            if labelstr:
                labelstr = "{" + labelstr + "}"
            ts = f" {s.timestamp}" if s.timestamp is not None else ""
            value = go_float(s.value) if s.value is not None else ""
            if utf8_name:
                out.append(f"{labelstr} {value}{ts}\n")
            else:
                out.append(f"{_escape(s.name, escaping, _label_rune)}{labelstr} {value}{ts}\n")
    out.append("# EOF\n")
    return "".join(out).encode("utf-8")


def choose(accept: str | None) -> tuple[Callable[[Iterable[Family]], bytes], str]:
    """(encoder, Content-Type) for an Accept header, as prometheus_client.exposition.choose_encoder."""
    for accepted in (accept or "").split(","):
        toks = accepted.split(";")
        kind = toks[0].strip()
        if kind == "application/openmetrics-text":
            version, escaping = _param(toks, "version"), _escaping(toks)
            if not version:
                return (lambda f: openmetrics(f, UNDERSCORES)), OPENMETRICS_1_0_0
            if _version(version) >= (1, 0, 0):
                return ((lambda f, e=escaping: openmetrics(f, e)),
                        f"application/openmetrics-text; version={version}; charset=utf-8; escaping={escaping}")
        elif kind == "text/plain":
            version, escaping = _param(toks, "version"), _escaping(toks)
            if version and _version(version) >= (1, 0, 0):
                return (lambda f, e=escaping: text(f, e)), f"{TEXT_1_0_0}; escaping={escaping}"
    return text, TEXT_0_0_4


def _param(toks: list[str], key: str) -> str:
    for tok in toks:
        if "=" in tok:
            k, v = tok.strip().split("=", 1)
            if k == key:
                return v
    return ""


def _escaping(toks: list[str]) -> str:
    for tok in toks:
        if "=" in tok:
            k, v = tok.strip().split("=", 1)
            if k == "escaping":
                return v if v in _ESCAPINGS else UNDERSCORES
    return UNDERSCORES


def _version(text_: str) -> tuple:
    parts: list = []
    for part in text_.split("."):
        try:
            parts.append(int(part))
        except ValueError:
            parts.append(part)
    return tuple(parts)
