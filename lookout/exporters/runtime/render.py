"""The /metrics body rendered from MetricSet rows: Prometheus text 0.0.4 (and 1.0.0) and OpenMetrics 1.0, byte for byte what
prometheus_client 0.2x's `generate_latest` encoders write for the same families, without their
per-sample validation and per-character escaping (issue 24: they were half of a scrape's CPU).

    fmt, escaping, content_type = negotiate(request's Accept header)
    body = encode(families, fmt, escaping)      # bytes; OpenMetrics ends with "# EOF\\n"

`families` holds MetricSet families (`metrics.Family`: rows of label values in sorted label-name
order) and/or prometheus_client-style Metric objects (name, documentation, type, unit, samples),
such as the process collector's. Names and help texts are static, so everything about them
(escaping, HELP/TYPE lines, each sample line's template) is computed once per family shape and
kept; per sample only the label values are escaped and the value formatted. Anything this fast
path does not write itself (exemplars, native histograms) is handed to prometheus_client's
encoder for that one family, imported only then.

The reference is prometheus_client's own encoders (exposition.generate_latest,
openmetrics.exposition.generate_latest, exposition.choose_encoder); tests/runtime/
test_render.py compares the two on the same families for every format and escaping.
"""
from __future__ import annotations

import re
from functools import lru_cache
from math import copysign
TYPE_CHECKING = False  # typing's own flag, without importing typing (issue 24: start-up)
if TYPE_CHECKING:
    from typing import Iterable

TEXT, OPENMETRICS = "text", "openmetrics"
ALLOWUTF8, UNDERSCORES, DOTS, VALUES = "allow-utf-8", "underscores", "dots", "values"
CONTENT_TYPE_TEXT_0_0_4 = "text/plain; version=0.0.4; charset=utf-8"
CONTENT_TYPE_TEXT_1_0_0 = "text/plain; version=1.0.0; charset=utf-8"
CONTENT_TYPE_OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8"

_METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


# --- content negotiation (prometheus_client.exposition.choose_encoder) ------------------------

def negotiate(accept: str | None) -> tuple[str, str, str]:
    """(format, escaping, Content-Type) for an Accept header, as choose_encoder picks them:
    OpenMetrics when it is listed (any q), text 1.0.0 when asked for with a version >= 1,
    else text 0.0.4."""
    for accepted in (accept or "").split(","):
        media = accepted.split(";")[0].strip()
        toks = accepted.split(";")
        if media == "application/openmetrics-text":
            version, escaping = _param(toks, "version"), _escaping(toks)
            if not version:
                return OPENMETRICS, UNDERSCORES, CONTENT_TYPE_OPENMETRICS
            if _version(version) >= (1, 0, 0):
                return (OPENMETRICS, escaping,
                        f"application/openmetrics-text; version={version}; charset=utf-8; escaping={escaping}")
        elif media == "text/plain":
            version, escaping = _param(toks, "version"), _escaping(toks)
            if version and _version(version) >= (1, 0, 0):
                return TEXT, escaping, f"{CONTENT_TYPE_TEXT_1_0_0}; escaping={escaping}"
    return TEXT, UNDERSCORES, CONTENT_TYPE_TEXT_0_0_4


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
                return v if v in (ALLOWUTF8, UNDERSCORES, DOTS, VALUES) else UNDERSCORES
    return UNDERSCORES


def _version(text: str) -> tuple:
    parts = []
    for p in text.split("."):
        try:
            parts.append(int(p))
        except ValueError:
            parts.append(p)
    return tuple(parts)


# --- values and names -----------------------------------------------------------------------

_SPECIAL = {"inf": "+Inf", "-inf": "-Inf", "nan": "NaN"}


def go_float(d) -> str:
    """A float as Go's strconv writes it (prometheus_client.utils.floatToGoString)."""
    d = float(d)
    s = repr(d)
    special = _SPECIAL.get(s)
    if special is not None:
        return special
    dot = s.find(".")
    if d > 0 and dot > 6:  # Go switches to exponents sooner than Python
        mantissa = f"{s[0]}.{s[1:dot]}{s[dot + 1:]}".rstrip("0.")
        return f"{mantissa}e+{dot - 1:02d}"
    return s


def escape_value(v: str) -> str:
    """A label value (always UTF-8 in both formats): backslash, newline and quote escaped."""
    if "\\" in v or "\n" in v or '"' in v:
        return v.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")
    return v


def _legacy_label_rune(b: str, i: int) -> bool:
    return "a" <= b <= "z" or "A" <= b <= "Z" or b == "_" or ("0" <= b <= "9" and i > 0)


def _legacy_metric_rune(b: str, i: int) -> bool:
    return _legacy_label_rune(b, i) or b == ":"


def _escape(s: str, escaping: str, valid) -> str:
    if escaping == ALLOWUTF8:
        return s.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")
    if escaping == UNDERSCORES:
        return "".join(b if valid(b, i) else "_" for i, b in enumerate(s))
    if escaping == DOTS:
        return "".join("__" if b == "_" else "_dot_" if b == "." else b if valid(b, i) else "__"
                       for i, b in enumerate(s))
    if escaping == VALUES:
        out = ["U__"]
        for i, b in enumerate(s):
            if b == "_":
                out.append("__")
            elif valid(b, i):
                out.append(b)
            elif not (0 <= ord(b) < 0xD800 or 0xDFFF < ord(b) <= 0x10FFFF):
                out.append("_FFFD_")
            else:
                out.append(f"_{ord(b):x}_")
        return "".join(out)
    return s


def _valid_metric(s: str) -> bool:
    return bool(s) and _METRIC_NAME.match(s) is not None


def _valid_label(s: str) -> bool:
    return bool(s) and _LABEL_NAME.match(s) is not None and not s.startswith("__")


def _escape_name(s: str, escaping: str, valid_name, rune) -> str:
    if not s:
        return s
    if escaping == ALLOWUTF8:
        return _escape(s, escaping, rune) if valid_name(s) else '"' + _escape(s, escaping, rune) + '"'
    if escaping in (UNDERSCORES, VALUES) and valid_name(s):
        return s
    return _escape(s, escaping, rune)


def metric_name(s: str, escaping: str) -> str:
    return _escape_name(s, escaping, _valid_metric, _legacy_metric_rune)


def label_name(s: str, escaping: str) -> str:
    return _escape_name(s, escaping, _valid_label, _legacy_label_rune)


def _text_help(doc: str) -> str:
    return doc.replace("\\", r"\\").replace("\n", r"\n")


def _om_help(doc: str) -> str:
    return _escape(doc, ALLOWUTF8, _legacy_label_rune)


# --- sample line templates ----------------------------------------------------------------

def _lit(text: str) -> str:
    return text.replace("%", "%%")


@lru_cache(maxsize=4096)  # names are static: a few hundred shapes at most
def _template_parts(fmt: str, escaping: str, name: str, label_names: tuple[str, ...]) -> tuple[str, str, str]:
    """(before, labels, after): a sample line is before + labels % values + after + value + "\n",
    where `labels` is a %-template with one %s per label value ("" without labels). It depends
    on the label names only: one family's rendered labels serve every family with those names."""
    labels = ",".join(f'{_lit(label_name(k, escaping))}="%s"' for k in label_names)
    if escaping != ALLOWUTF8 or _valid_metric(name):
        shown = metric_name(name, escaping) if fmt == TEXT else _escape(name, escaping, _legacy_label_rune)
        return (shown + "{", labels, "} ") if labels else (shown, "", " ")
    # a UTF-8 name goes inside the braces, quoted
    return ("{" + metric_name(name, escaping) + ",", labels, "} ") if labels else (
        "{" + metric_name(name, escaping), "", "} ")


@lru_cache(maxsize=4096)
def _template(fmt: str, escaping: str, name: str, label_names: tuple[str, ...]) -> str:
    """A %-template for one sample line: one %s per label value (in `label_names`' order),
    then one for the value."""
    before, labels, after = _template_parts(fmt, escaping, name, label_names)
    return _lit(before) + labels + _lit(after) + "%s\n"


_HEADERS: dict[tuple, tuple[str, str, int]] = {}


def _sample_name(kind: str, name: str) -> str:
    return name + "_total" if kind == "counter" else name


def _family_shape(fmt: str, escaping: str, kind: str, name: str, doc: str, unit: str,
                  label_names: tuple[str, ...], extra: str | None) -> tuple[str, str, int]:
    """(HELP/TYPE/UNIT lines, the sample template, where the extra label goes) for one of
    MetricSet's families, computed once per shape. `extra` is a StateSet's own-name label or
    a summary's `quantile`, merged into the label names in sorted order."""
    key = (fmt, escaping, kind, name, doc, unit, label_names, extra)
    found = _HEADERS.get(key)
    if found is not None:
        return found
    names = list(label_names)
    at = -1
    if extra is not None:
        names.append(extra)
        names.sort()
        at = names.index(extra)
    sample_name = _sample_name(kind, name)
    if fmt == TEXT:
        mname, mtype = (sample_name, kind) if kind != "stateset" else (name, "gauge")
        head = (f"# HELP {metric_name(mname, escaping)} {_text_help(doc)}\n"
                f"# TYPE {metric_name(mname, escaping)} {mtype}\n")
    else:
        head = (f"# HELP {metric_name(name, escaping)} {_om_help(doc)}\n"
                f"# TYPE {metric_name(name, escaping)} {kind}\n")
        if unit:
            head += f"# UNIT {metric_name(name, escaping)} {unit}\n"
    found = _HEADERS[key] = (head, _template(fmt, escaping, sample_name, tuple(names)), at)
    return found


def encode(families: Iterable, fmt: str = TEXT, escaping: str = UNDERSCORES) -> bytes:
    """The exposition of `families` (see the module docstring) in `fmt` with `escaping`."""
    out: list[str] = []
    # Label values as escaped, and label sets as rendered (label template -> {label values:
    # text}): most families of a large exposition share their label sets, and most label sets
    # are the same from one scrape to the next. Bounded: cleared when full.
    escaped, labelled = _ESCAPED, _LABELLED
    if len(escaped) > _LABEL_SETS_MAX:
        escaped.clear()
    for seen in list(labelled.values()):  # a copy: another encode may add a label template meanwhile
        if len(seen) > _LABEL_SETS_MAX:
            seen.clear()
    for fam in families:
        if hasattr(fam, "rows"):
            _encode_rows(out, fam, fmt, escaping, escaped, labelled)
        else:
            _encode_metric(out, fam, fmt, escaping)
    if fmt == OPENMETRICS:
        out.append("# EOF\n")
    return "".join(out).encode("utf-8")


# Across encodes (encode): label value tuples as escaped, and {label template: {values: text}};
# a StateSet's or a summary's whole sample template is a key there too, for its rendered lines.
_ESCAPED: dict[tuple, tuple] = {}
_LABELLED: dict[str, dict] = {}
_LABEL_SETS_MAX = 4096  # label sets of each kind kept; an exporter shows a few hundred


def _escaped(escaped: dict[tuple, tuple], values: tuple) -> tuple:
    found = escaped.get(values)
    if found is None:
        found = escaped[values] = tuple(map(escape_value, values))
    return found


def _encode_rows(out: list[str], fam, fmt: str, escaping: str, escaped: dict[tuple, tuple],
                 labelled: dict[str, dict]) -> None:
    desc = fam.desc
    kind = desc.kind
    extra = fam.name if kind == "stateset" else "quantile" if kind == "summary" else None
    head, tpl, at = _family_shape(fmt, escaping, kind, fam.name, desc.help, desc.unit, desc.sorted_labels, extra)
    out.append(head)
    esc = escape_value
    if kind == "stateset" and "%%" not in tpl:  # (a literal % in a name: the plain path below)
        lines = _stateset_lines(tpl, at, desc.states)
        # A sample's lines as rendered, by (label values, current state): a status seldom changes
        # from one scrape to the next, and a block's %-format was most of this family's cost.
        # Keyed by the states too: two StateSets may share a name and labels but not their states.
        blocks = labelled.setdefault((tpl, desc.states), {})
        for values, current in fam.rows:
            key = (values, current if isinstance(current, str) else None)
            block = blocks.get(key)
            if block is None:
                row = lines.get(key[1]) if key[1] is not None else None
                block = blocks[key] = (row or lines[None]) % (_escaped(escaped, values) * len(desc.states))
            out.append(block)
    elif kind == "stateset":
        for values, current in fam.rows:
            values = _escaped(escaped, values)
            for state in sorted(desc.states):
                out.append(tpl % (*values[:at], esc(state), *values[at:], "1.0" if state == current else "0.0"))
    elif kind == "summary":
        shown_as = _go_floats()
        # Each line up to its value, by (label values, quantile), across encodes.
        prefixes = labelled.setdefault(tpl, {})
        for values, quantiles in fam.rows:
            for q, v in quantiles:
                prefix = prefixes.get((values, q))
                if prefix is None:
                    shown_values = _escaped(escaped, values)
                    # (tpl ends with the value's %s and a newline)
                    prefix = prefixes[(values, q)] = (tpl % (*shown_values[:at], esc(q), *shown_values[at:], ""))[:-1]
                if v:
                    shown = shown_as.get(v)
                    if shown is None:
                        shown = shown_as[v] = go_float(v)
                else:  # -0.0 == 0.0, but prints "-0.0"
                    shown = "-0.0" if copysign(1.0, v) < 0 else "0.0"
                out.append(f"{prefix}{shown}\n")
    else:
        shown_as = _go_floats()
        if desc.sorted_labels:  # a label set rendered once per encode, for every family that has it
            before, labels, after = _template_parts(fmt, escaping, _sample_name(kind, fam.name), desc.sorted_labels)
            seen = labelled.setdefault(labels, {})
        for values, v in fam.rows:
            if v:
                shown = shown_as.get(v)
                if shown is None:
                    shown = shown_as[v] = go_float(v)
            else:  # not memoised: -0.0 == 0.0 but prints "-0.0" (rows hold floats: MetricSet)
                shown = "-0.0" if copysign(1.0, v) < 0 else "0.0"
            if values:
                text = seen.get(values)
                if text is None:
                    text = seen[values] = labels % _escaped(escaped, values)
                out.append(f"{before}{text}{after}{shown}\n")
            else:
                out.append(tpl % shown)


# Numbers as written, across encodes: most of a large exposition's values (start times,
# restart counts, limits) are the same from one scrape to the next. Bounded: cleared when full.
_GO_FLOATS: dict[float, str] = {}
_GO_FLOATS_MAX = 2048  # about 0.2 MB when full


def _go_floats() -> dict[float, str]:
    if len(_GO_FLOATS) > _GO_FLOATS_MAX:
        _GO_FLOATS.clear()
    return _GO_FLOATS


_STATESETS: dict[tuple, dict] = {}


def _stateset_lines(tpl: str, at: int, states: tuple[str, ...]) -> dict:
    """For each current state (None: none of the known ones), the lines of one StateSet
    sample as one %-template over the row's label values repeated once per state."""
    key = (tpl, at, states)
    found = _STATESETS.get(key)
    if found is None:
        slots = tpl.split("%s")  # the text before each %s (label values, the state, the value), then the end

        def lines(current) -> str:
            text = []
            for state in sorted(states):
                for i, before in enumerate(slots[:-1]):
                    text.append(before)
                    if i == at:
                        text.append(escape_value(state).replace("%", "%%"))
                    elif i == len(slots) - 2:
                        text.append("1.0" if state == current else "0.0")
                    else:
                        text.append("%s")
                text.append(slots[-1])
            return "".join(text)
        found = {state: lines(state) for state in states}
        found[None] = lines(None)
        _STATESETS[key] = found
    return found


# --- prometheus_client-style Metric objects (the process collector's) -------------------------

_TEXT_TYPES = {"info": "gauge", "stateset": "gauge", "gaugehistogram": "histogram", "unknown": "untyped"}


def _encode_metric(out: list[str], metric, fmt: str, escaping: str) -> None:
    if any(s.exemplar is not None or getattr(s, "native_histogram", None) is not None for s in metric.samples):
        out.append(_reference(metric, fmt, escaping))
        return
    if fmt == TEXT:
        mname = metric.name + ("_total" if metric.type == "counter" else "_info" if metric.type == "info" else "")
        mtype = _TEXT_TYPES.get(metric.type, metric.type)
        out.append(f"# HELP {metric_name(mname, escaping)} {_text_help(metric.documentation)}\n"
                   f"# TYPE {metric_name(mname, escaping)} {mtype}\n")
        moved: dict[str, list[str]] = {}
        for s in metric.samples:
            for suffix in ("_created", "_gsum", "_gcount"):
                if s.name == metric.name + suffix:  # OpenMetrics-only samples: a gauge after the family
                    moved.setdefault(suffix, []).append(_sample_line(s, fmt, escaping))
                    break
            else:
                out.append(_sample_line(s, fmt, escaping))
        for suffix, lines in sorted(moved.items()):
            name = metric_name(metric.name + suffix, escaping)
            out.append(f"# HELP {name} {_text_help(metric.documentation)}\n# TYPE {name} gauge\n")
            out.extend(lines)
        return
    name = metric_name(metric.name, escaping)
    out.append(f"# HELP {name} {_om_help(metric.documentation)}\n# TYPE {name} {metric.type}\n")
    if metric.unit:
        out.append(f"# UNIT {name} {metric.unit}\n")
    for s in metric.samples:
        out.append(_sample_line(s, fmt, escaping))


def _sample_line(s, fmt: str, escaping: str) -> str:
    names = tuple(sorted(s.labels))
    tpl = _template(fmt, escaping, s.name, names)
    line = tpl % (*(escape_value(s.labels[k]) for k in names), go_float(s.value) if s.value is not None else "")
    if s.timestamp is not None:
        stamp = f" {int(float(s.timestamp) * 1000):d}" if fmt == TEXT else f" {s.timestamp}"
        line = line[:-1] + stamp + "\n"
    return line


def _reference(metric, fmt: str, escaping: str) -> str:
    """One family through prometheus_client's own encoder (exemplars, native histograms)."""
    class _One:
        def collect(self):
            return [metric]
    if fmt == TEXT:
        from prometheus_client.exposition import generate_latest
        return generate_latest(_One(), escaping=escaping).decode("utf-8")
    from prometheus_client.openmetrics.exposition import generate_latest as om
    return om(_One(), escaping=escaping).decode("utf-8").removesuffix("# EOF\n")
