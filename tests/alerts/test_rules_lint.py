"""Lint over the generated rules: names, labels, annotations, runbook links, and PromQL that
reads only declared series (the exporters' typed descriptors), with
their types, label names and states, over windows that respect the scrape interval."""
from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
import yaml

from lookout import promql
from lookout.alert_rules.catalog import anchor
from lookout.alert_rules.settings import HERE, RUNBOOK_PAGE, SCRAPE_INTERVAL_SECONDS, Config
from lookout.exporters.runtime import exporter_descriptors
from lookout.systems import SYSTEMS as REGISTRY
from .conftest import COMMITTED_RULES

ROOT = HERE.parents[1]
RUNBOOK_BASE = Config().runbook_url_base
CAMEL = re.compile(r"^[A-Z][A-Za-z0-9]*[a-z][A-Za-z0-9]*$")
VALUE = re.compile(r"\{\{ \$value \| (humanize|humanize1024|humanizeDuration|humanizePercentage) \}\}")
RECORD = re.compile(r"^[a-z0-9_]+:[a-z0-9_]+:[a-z0-9_]+$")
DURATION = re.compile(r"([0-9]+)(ms|s|m|h|d|w|y)")
SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
# Functions for counters only, and for gauges only.
COUNTER_FUNCTIONS = ("rate", "irate", "increase", "resets")
GAUGE_FUNCTIONS = ("delta", "idelta", "deriv", "predict_linear")


def _load(path):
    system = path.stem
    for group in yaml.safe_load(path.read_text())["groups"]:
        for rule in group["rules"]:
            yield system, rule


RULES = [r for path in COMMITTED_RULES for r in _load(path)]
ALERTS = [(s, r) for s, r in RULES if "alert" in r]
RECORDS = {r["record"] for _, r in RULES if "record" in r}


@dataclass(frozen=True)
class Series:
    """What a rule may assume about a metric name: its type, label names, state-set states."""
    kind: str
    labels: tuple[str, ...] = ()
    states: tuple[str, ...] = ()


# Labels Prometheus attaches to every scraped series (docs: "Jobs and instances").
TARGET_LABELS = ("job", "instance")
# Series Prometheus makes itself (same page): `up` per target.
PROMETHEUS_OWN = {"up": Series("gauge")}


def declared() -> dict[str, Series]:
    """Exposed sample name -> Series, from every registry system's `exporter_descriptors(ns)`
    (the runtime's own family included), plus Prometheus's own series. A state set's state
    label is named after the metric; a summary's samples carry `quantile`."""
    found = dict(PROMETHEUS_OWN)
    for system in REGISTRY:
        for d in exporter_descriptors(system.namespace):
            name = d.exposed_name(system.namespace)
            extra = {"stateset": (name,), "summary": ("quantile",)}.get(d.kind, ())
            found[name] = Series(d.kind, (*d.labels, *extra), tuple(getattr(d, "states", ())))
    return found


DECLARED = declared()


def seconds(duration: str) -> float:
    return sum(int(n) * SECONDS[u] for n, u in DURATION.findall(duration))


def scrape_interval() -> float:
    """The slowest scrape the rules must survive: ours, or prometheus.yml's if it exists."""
    worst = SCRAPE_INTERVAL_SECONDS
    config = ROOT / "prometheus" / "prometheus.yml"
    if config.exists():
        doc = yaml.safe_load(config.read_text()) or {}
        found = [doc.get("global", {}).get("scrape_interval")]
        found += [job.get("scrape_interval") for job in doc.get("scrape_configs", [])]
        worst = max([worst] + [seconds(d) for d in found if d])
    return worst


def runbook_pages() -> list[str]:
    """The one page of runbook sections (each system's runbook.md is generated into it)."""
    return [RUNBOOK_PAGE]


def runbook_anchors(page: str = RUNBOOK_PAGE) -> set[str]:
    text = (ROOT / page).read_text()
    return {anchor(m) for m in re.findall(r"^#{1,6}\s+(.+?)\s*$", text, flags=re.M)}


def alert_problems(system: str, rule: dict, anchors: set[str]) -> list[str]:
    problems = []
    if not CAMEL.match(rule["alert"]):
        problems.append("alert name is not CamelCase")
    labels = rule.get("labels", {})
    if labels.get("severity") not in ("warning", "critical"):
        problems.append(f"severity {labels.get('severity')!r} is not warning or critical")
    if labels.get("system") != system:
        problems.append(f"system {labels.get('system')!r} is not {system!r}")
    # `name`: the PM2 process the sync server's alerts are about (a member label, from _config).
    if not set(labels) <= {"severity", "system", "role", "name", "remedy"} or labels.get("role", "down") not in ("down", "symptom"):
        problems.append(f"unexpected labels {labels}")
    # `remedy` names a lookout-remediate action (issue 15): lower-case, digits, - and _.
    if "remedy" in labels and not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,62}", labels["remedy"]):
        problems.append(f"remedy {labels['remedy']!r} is not an action name")
    notes = rule.get("annotations", {})
    summary, description, url = (notes.get(k, "") for k in ("summary", "description", "runbook_url"))
    if not summary or "{{" in summary or not summary.endswith("."):
        problems.append("summary is not a static sentence")
    if not VALUE.search(description):
        problems.append("description does not show the formatted value")
    if not re.fullmatch(r"(\{\{ \$(value \| \w+|labels\.\w+) \}\}|[^{}])*", description):
        problems.append("description uses templates other than $value and $labels")
    if not url.startswith(RUNBOOK_BASE + "#") or url.split("#", 1)[1] not in anchors:
        problems.append(f"runbook_url {url!r} has no section in {RUNBOOK_PAGE}")
    if "for" in rule and not DURATION.fullmatch(rule["for"]):
        problems.append(f"for {rule['for']!r} is not a duration")
    return problems


def state_problems(name: str, op: str, pattern: str, states: tuple[str, ...]) -> list[str]:
    """A state matcher names declared states only: `=` one of them; `=~` each `|` alternative
    matches one (an `(?i)` prefix applies to all)."""
    if op == "=":
        return [] if pattern in states else [f"{name} has no state {pattern!r} (states: {', '.join(states)})"]
    if op != "=~":
        return []
    flags, body = ("(?i)", pattern[4:]) if pattern.startswith("(?i)") else ("", pattern)
    return [f"{name} has no state matching {alt!r} (states: {', '.join(states)})"
            for alt in body.split("|") if not any(re.fullmatch(flags + alt, st) for st in states)]


def selector_problems(expr: str) -> list[str]:
    """Every selected series is declared (or recorded), with declared label names and states."""
    problems = []
    for name, matchers in promql.selectors(expr):
        if not name:
            named = [v for label, op, v in matchers if label == "__name__" and op == "="]
            patterns = [v for label, op, v in matchers if label == "__name__" and op == "=~"]
            problems += [f"{{__name__=~{p!r}}} matches no declared metric"
                         for p in patterns if not any(re.fullmatch(p, m) for m in DECLARED)]
            if not named:
                continue
            name = named[0]
        # ALERTS: Prometheus' own series of the alerts it evaluates (a cause's hold-down).
        if name in RECORDS or name == "ALERTS":
            continue
        series = DECLARED.get(name)
        if series is None:
            problems.append(f"{name} is no exporter's descriptor, nor recorded")
            continue
        for label, op, value in matchers:
            if label not in (*series.labels, *TARGET_LABELS, "__name__"):
                problems.append(f"{name} has no label {label!r} (labels: {', '.join(series.labels) or 'none'})")
            elif series.states and label == name:
                problems += state_problems(name, op, value, series.states)
    return problems


def promql_problems(system: str, rule: dict) -> list[str]:
    expr = rule["expr"]
    problems = selector_problems(expr)
    for fn, name in re.findall(r"\b(\w+)\s*\(\s*([a-zA-Z_:][\w:]*)\s*(?:\{[^}]*\})?\s*\[", expr):
        kind = DECLARED[name].kind if name in DECLARED else "gauge (recorded)"
        if fn in COUNTER_FUNCTIONS and kind != "counter":
            problems.append(f"{fn}() on {name}, a {kind}")
        if fn in GAUGE_FUNCTIONS and kind == "counter":
            problems.append(f"{fn}() on {name}, a counter")
    for window in re.findall(r"\[([0-9a-z]+)(?::[0-9a-z]*)?\]", expr):
        if seconds(window) < 2 * scrape_interval():
            problems.append(f"[{window}] spans fewer than two scrapes")
    if "record" in rule and not (RECORD.match(rule["record"]) and rule["record"].split(":")[0] == system):
        problems.append(f"{rule['record']} is not {system}:metric:operations")
    return problems


@pytest.mark.parametrize("system, rule", ALERTS, ids=[f"{r['alert']}-{r['labels']['severity']}" for _, r in ALERTS])
def test_alert_rule(system, rule):
    assert alert_problems(system, rule, runbook_anchors()) == []


@pytest.mark.parametrize("system, rule", RULES, ids=[r.get("alert") or r["record"] for _, r in RULES])
def test_promql(system, rule):
    assert promql_problems(system, rule) == []


def test_every_alert_has_exactly_one_runbook_section():
    text = "\n".join((ROOT / page).read_text() for page in runbook_pages())
    headings = re.findall(r"^###\s+(\S+)\s*$", text, flags=re.M)
    assert sorted(headings) == sorted({r["alert"] for _, r in ALERTS})


def test_the_lint_rejects_bad_rules():
    good = {"alert": "TicksStale", "expr": "ticks_table_last_tick_age_seconds > 300",
            "labels": {"severity": "warning", "system": "ticks"},
            "annotations": {"summary": "Ticks are stale.", "description": "{{ $value | humanizeDuration }} old",
                            "runbook_url": RUNBOOK_BASE + "#ticksstale"}}
    anchors = {"ticksstale"}
    assert alert_problems("ticks", good, anchors) == [] and promql_problems("ticks", good) == []

    def alert_with(**changes):
        return alert_problems("ticks", {**good, **changes}, anchors)

    assert alert_with(alert="ticks_stale")
    assert alert_with(labels={"severity": "page", "system": "ticks"})
    assert alert_with(labels={"severity": "warning", "system": "pm2"})
    assert alert_with(annotations={**good["annotations"], "summary": "Stale for {{ $value }}."})
    assert alert_with(annotations={**good["annotations"], "description": "ticks are old"})
    assert alert_with(annotations={**good["annotations"], "runbook_url": RUNBOOK_BASE + "#nowhere"})

    def expr(text, record=None):
        rule = {"expr": text, **({"record": record} if record else {})}
        return promql_problems("ticks", rule)

    assert expr("rate(ticks_table_ticks_per_minute[5m]) > 1") == ["rate() on ticks_table_ticks_per_minute, a gauge"]
    assert expr("deriv(ticks_container_restarts_total[5m]) > 1")
    assert expr("increase(ticks_container_restarts_total[30s]) > 1") == ["[30s] spans fewer than two scrapes"]
    assert expr("ticks_no_such_metric > 1") == ["ticks_no_such_metric is no exporter's descriptor, nor recorded"]
    assert expr('{__name__=~"nope_.*"} > 1')
    assert expr('{__name__="ticks_up"} < 1') == [] and expr('{__name__="ticks_upp"} < 1')
    # Misspelt: a metric, a label, a state (each once a real slip between the exporters and the rules).
    assert expr("ticks_table_ticks_per_minut < 150") == [
        "ticks_table_ticks_per_minut is no exporter's descriptor, nor recorded"]
    assert expr('tburn_circuit_breaker_state{breaker="a", tburn_circuit_breaker_state="open"} == 1') == [
        "tburn_circuit_breaker_state has no label 'breaker' (labels: shard, tburn_circuit_breaker_state)"]
    assert expr('tburn_circuit_breaker_state{tburn_circuit_breaker_state="half-open"} == 1')
    assert expr('tburn_memory_governor_state{tburn_memory_governor_state=~"(?i)deferred|hibernatng"} == 1') == [
        "tburn_memory_governor_state has no state matching 'hibernatng' (states: "
        + ", ".join(DECLARED["tburn_memory_governor_state"].states) + ")"]
    assert expr('tburn_memory_governor_state{tburn_memory_governor_state=~"(?i)DEFERRED|hibernating"} == 1') == []
    assert expr('lookout_collector_success{exporter="pm2", collector="health", instance="x"} == 0') == []
    assert expr("sum by (instance) (rate(ticks_log_events_total[5m]))") == []
    assert expr("ticks_up", record="ticks_up_ratio")


def test_runbook_sections_name_real_signal_keys(default_signals):
    """Operators find the key to override in the section; a renamed key must not leave it stale."""
    text = "\n".join((ROOT / page).read_text() for page in runbook_pages())
    paragraphs = re.findall(r"^Signals? ((?:.|\n(?!\n))+)", text, flags=re.M)
    named = {k for p in paragraphs for k in re.findall(r"`([a-z0-9_]+)`", p)}
    keys = {s.key for s in default_signals}
    params = {p for s in default_signals for p in s.params}
    assert keys <= named and named - keys <= params, (keys - named, named - keys - params)


@pytest.mark.parametrize("old, new", [("pm2_sync_queue_pending", "pm2_sync_queue_depth"),
                                      ("nectar_reconnect_giveups_total", "nectar_reconnect_giveup_total")])
def test_the_lint_catches_a_misspelt_metric_in_a_committed_rule(old, new):
    """The slips that reached main before this lint read the descriptors:
    a committed rule with the old name put back is reported, naming the metric."""
    system, rule = next((s, r) for s, r in RULES if old in r["expr"])
    assert promql_problems(system, rule) == []
    broken = {**rule, "expr": rule["expr"].replace(old, new)}
    assert f"{new} is no exporter's descriptor, nor recorded" in promql_problems(system, broken)
