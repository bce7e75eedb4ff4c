"""Lint over the generated rules: names, labels, annotations, runbook links, and PromQL
that respects metric types (docs/metrics.md) and the scrape interval."""
from __future__ import annotations

import re

import pytest
import yaml

from lookout import promql
from lookout.alert_rules.catalog import anchor
from lookout.alert_rules.settings import HERE, NAMESPACES, RUNBOOK_PAGE, SCRAPE_INTERVAL_SECONDS, SYSTEMS, Config, runbook_page
from .conftest import COMMITTED_RULES

ROOT = HERE.parents[1]
RUNBOOK_BASE = Config().runbook_url_base
# Metrics the rules read before docs/metrics.md on main lists them: the shared self-metrics
# of CONTRACTS.md section 1, and the fidelity helper's names of section 4 (its docs/metrics.md
# rows land with its branch). Each entry is redundant, not wrong, once they have.
PENDING_DOCS = {"lookout_collector_success": "gauge", "lookout_collector_fields_missing_total": "counter",
                "pm2_sync_health_status": "stateset", "pm2_sync_dependency_status": "stateset",
                "pm2_sync_queue_pending": "gauge", "nectar_reconnect_episodes_total": "counter",
                "nectar_reconnect_giveups_total": "counter"}
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


def metric_types() -> dict[str, str]:
    """Metric name -> type, from the tables of docs/metrics.md (`<ns>_` rows expanded)."""
    types = {"up": "gauge", **PENDING_DOCS}
    for line in (ROOT / "docs" / "metrics.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 2 or not cells[0].startswith("`"):
            continue
        for name in re.findall(r"`([^`]+)`", cells[0]):
            for ns in (NAMESPACES if "<ns>" in name else [None]):
                types[name.replace("<ns>", ns) if ns else name] = cells[1]
    return types


TYPES = metric_types()


def selectors(expr: str) -> list[str]:
    """Metric names an expression selects (recording rules included), parsed by promql-parser
    (lookout/promql.py), and regexes over __name__ as `~regex`."""
    names = [f"~{m}" for m in re.findall(r'__name__=~"([^"]+)"', expr)]
    return names + sorted(promql.metric_names(expr))


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
    """docs/runbooks.md and each system's own docs/runbooks/<system>.md."""
    return [RUNBOOK_PAGE, *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs" / "runbooks").glob("*.md"))]


def runbook_anchors(page: str = RUNBOOK_PAGE) -> set[str]:
    text = (ROOT / page).read_text()
    return {anchor(m) for m in re.findall(r"^#{1,6}\s+(.+?)\s*$", text, flags=re.M)}


def expected_base(page: str) -> str:
    """Where the runbook_url of an alert documented on `page` points (written out here from
    the rule in settings.runbook_page, not computed by the generator)."""
    if page == RUNBOOK_PAGE:
        return RUNBOOK_BASE
    return RUNBOOK_BASE.rsplit("/", 1)[0] + "/" + page.removeprefix("docs/")


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
    page = runbook_page(system) if system in SYSTEMS else RUNBOOK_PAGE
    if not url.startswith(expected_base(page) + "#") or url.split("#", 1)[1] not in anchors:
        problems.append(f"runbook_url {url!r} has no section in {page}")
    if "for" in rule and not DURATION.fullmatch(rule["for"]):
        problems.append(f"for {rule['for']!r} is not a duration")
    return problems


def promql_problems(system: str, rule: dict) -> list[str]:
    expr, problems = rule["expr"], []
    for name in selectors(expr):
        if name.startswith("~"):
            if not any(re.fullmatch(name[1:], m) for m in TYPES):
                problems.append(f"{name} matches no documented metric")
        elif name not in TYPES and name not in RECORDS:
            problems.append(f"{name} is neither in docs/metrics.md nor recorded")
    for fn, name in re.findall(r"\b(\w+)\s*\(\s*([a-zA-Z_:][\w:]*)\s*(?:\{[^}]*\})?\s*\[", expr):
        kind = TYPES.get(name, "gauge (recorded)")
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
    assert alert_problems(system, rule, runbook_anchors(runbook_page(system))) == []


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
    assert expr("ticks_no_such_metric > 1")
    assert expr('{__name__=~"nope_.*"} > 1')
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
