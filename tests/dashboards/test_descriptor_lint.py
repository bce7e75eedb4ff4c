"""Lint: every series a dashboard queries exists. A metric name is an exporter's typed
descriptor (`exporter_descriptors(ns)`, listed in docs/metrics.md), a recording rule of the
generated rule files, or a series Prometheus makes itself (`up` and `scrape_*` per target:
Prometheus docs, "Jobs and instances"; `ALERTS` and `ALERTS_FOR_STATE`: "Alerting rules").
A state set's state in a query is one of its descriptor's states."""
from __future__ import annotations

import re
from functools import cache

import pytest
import yaml
from .dashboard_json import queries, substitute

from lookout.promql import selectors
from lookout.systems import SYSTEMS

from .test_thresholds import RULES

PROMETHEUS_OWN = {"up", "scrape_duration_seconds", "scrape_samples_scraped", "scrape_samples_post_metric_relabeling",
                  "scrape_series_added", "ALERTS", "ALERTS_FOR_STATE"}


@cache
def descriptors() -> dict[str, object]:
    """Exposed sample name -> descriptor, over every system of the registry."""
    from lookout.exporters.runtime import exporter_descriptors
    found = {}
    for system in SYSTEMS:
        for d in exporter_descriptors(system.namespace):
            found[d.exposed_name(system.namespace)] = d
    return found


@cache
def recorded() -> set[str]:
    names = set()
    for path in RULES.glob("*.yml"):
        for group in yaml.safe_load(path.read_text())["groups"]:
            names |= {rule["record"] for rule in group["rules"] if "record" in rule}
    return names


def undeclared_collectors(namespace: str) -> list[str]:
    """The system's collector classes that declare no `metrics`;
    until there are none, its own names cannot be linted."""
    from lookout.exporters.runtime import exporter_descriptors
    from lookout.exporters.runtime.collector import Collector
    exporter_descriptors(namespace)  # imports every module of the exporter
    package = f"lookout.systems.{namespace}.exporter"
    stack, missing = list(Collector.__subclasses__()), []
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if (cls.__module__ == package or cls.__module__.startswith(package + ".")) and not getattr(cls, "metrics", ()):
            missing.append(cls.__name__)
    return sorted(missing)


def known(name: str) -> bool:
    if name in PROMETHEUS_OWN or name in recorded():
        return True
    if name in descriptors():
        return True
    # Summaries and histograms expose _sum/_count (and buckets) beside their name.
    base = re.sub(r"_(sum|count|bucket)$", "", name)
    return base != name and base in descriptors()


def problems_in(dashboards, namespaces: set[str]) -> list[str]:
    found = []
    for dash, title, expr in queries(dashboards):
        for name, matchers in selectors(substitute(expr)):
            names = [name] if name else [v for label, op, v in matchers if label == "__name__" and op == "="]
            for n in names:
                if n.split("_")[0] in namespaces or n.startswith("lookout_") or ":" in n or n in PROMETHEUS_OWN:
                    if not known(n):
                        found.append(f"{dash} / {title}: no descriptor or rule for {n}")
                    elif n in descriptors() and getattr(descriptors()[n], "states", ()):
                        states = descriptors()[n].states
                        found += [f"{dash} / {title}: {n} has no state {v!r} (states: {states})"
                                  for label, op, v in matchers if label == n and op == "=" and v not in states]
            for label, op, pattern in matchers:
                if label == "__name__" and op == "=~" and not any(re.fullmatch(pattern, k) for k in descriptors()):
                    found.append(f"{dash} / {title}: {pattern} matches no descriptor")
    return found


@pytest.mark.parametrize("system", SYSTEMS, ids=lambda s: s.key)
def test_every_queried_series_is_declared(system, dashboards):
    missing = undeclared_collectors(system.namespace)
    if missing:
        pytest.skip(f"{system.exporter_module}: {', '.join(missing)} declare no typed descriptors yet")
    problems = problems_in(dashboards, {system.namespace})
    assert not problems, "\n".join(problems)


def test_the_self_metrics_and_rules_queried_are_declared(dashboards):
    problems = [p for p in problems_in(dashboards, set()) if "no descriptor or rule for" in p or "matches no" in p]
    assert not problems, "\n".join(problems)


def test_the_lint_reports_an_unknown_series_and_state():
    bogus = {"d": {"panels": [{"type": "stat", "title": "t", "targets": [
        {"expr": 'lookout_collector_sucess + up + lookout_collector_success'}]}]}}
    assert problems_in(bogus, set()) == ["d / t: no descriptor or rule for lookout_collector_sucess"]
