"""The whole stack, end to end: every scenario pages within its budget and resolves after
`recover`; with TiDB down only the database page arrives; every dashboard panel has data;
and the demo stops leaving nothing behind.

The tests run in this file's order against one demo (the session fixture): the scenarios
of one system one after another, each starting from a quiet system.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lookout.demo.profiles import FAST
from lookout.demo.scenarios import SCENARIOS
from lookout.devstack.demo_stack import strays
from lookout.devstack.proc import ROOT, wait_until
from lookout.systems import SYSTEMS

# Seconds from the fault until the alert's condition first holds, before `for` counts:
# what each fault needs to show in the metrics, not slack.
ONSET = {
    "tidb-down": 0,            # the next scrape fails
    "nectar-stall": 5,         # no block in the (compressed) delta window of 5 s
    "ticks-stall": 8,          # the newest tick older than the profile's 8 s TicksStale boundary
    "collector-crashloop": 25,  # four restarts: 3 s runs, Docker's 0.1-0.8 s backoff, Python start-up
    "pm2-memory-leak": 35,     # three restarts: 20 MB/s from ~55 MB to PM2's 200 MB, 1 s worker checks
    "sync-queue-backlog": 5,   # the queue passes 100 growing ~35 items/s
    "tburn-heap-pressure": 0,
    "tburn-breaker-open": 0,
    "tburn-down": 0,
    "tick-data-lost": 2,       # the next flush after the injection is dropped, then the exporter reads its lines
    "nectar-blocks-dropped": 1,  # the next block written after the injection is given up on
    "pm2-watchdog-gave-up": 1,   # the stand-in writes the watchdog's refusal on its next 250 ms tick
}
INTERVALS = 2 * (FAST.scrape_interval + FAST.evaluation_interval)
DELIVERY = 1 + 2  # Alertmanager's group_wait, then the webhook's HTTP round trip and clock granularity
RESOLVE_TIMEOUT = 120  # the compressed 1 h restart windows take 60 s to forget a crash loop


def budget(demo, name: str) -> float:
    return demo.rule_for_seconds(SCENARIOS[name].alert) + ONSET[name] + INTERVALS + DELIVERY


def first(demo, since: float, timeout: float, **match) -> dict:
    def found():
        for e in demo.pages():
            if e["received"] >= since and all(e[k] == v for k, v in match.items()):
                return e
        return None
    return wait_until(found, timeout, 0.25, what=f"a page {match}")


def all_resolved(demo, since: float, alert: str) -> float | None:
    """When every page of `alert` since `since` (each severity, each series) ended resolved:
    the time of the last resolution, or None while one is still firing."""
    last: dict[str, dict] = {}
    for e in demo.pages():
        if e["received"] >= since and e["alertname"] == alert:
            last[e["fingerprint"] or e["severity"]] = e
    if last and all(e["status"] == "resolved" for e in last.values()):
        return max(e["received"] for e in last.values())
    return None


def wait_quiet(demo, system: str, alert: str) -> None:
    """No earlier fault of this system still shows: the alert is not active, no 'down' alert fires."""
    def quiet():
        return not demo.query(f'ALERTS{{alertname="{alert}"}} or ALERTS{{system="{system}", role="down"}}')
    wait_until(quiet, 150, 1, what=f"{system} to be quiet before the next fault")


def test_the_stack_starts_from_nothing(demo):
    up = demo.query("up")
    assert {r["metric"]["job"] for r in up} == {s.job for s in SYSTEMS} | {"prometheus", "alertmanager", "remediate"}
    assert all(r["value"][1] == "1" for r in up), up
    for s in SYSTEMS:
        assert demo.query(f"{s.namespace}_up == 1"), f"{s.namespace}_up is not 1"
    # Nothing is wrong yet, so nothing has paged.
    assert [e for e in demo.pages() if e["severity"] == "critical"] == []
    unknown = subprocess.run([sys.executable, "-m", "lookout.cli", "demo", "inject", "no-such-fault",
                              "--url", demo.urls["control"]], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert unknown.returncode == 1 and "unknown scenario 'no-such-fault'" in unknown.stderr


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_scenario_pages_and_resolves(demo, e2e_results, name):
    s = SCENARIOS[name]
    if s.needs == "docker" and not demo.state["docker"]:
        pytest.skip(f"{name} needs the collector in a container; Docker could not run here: {demo.state['notes']}")
    wait_quiet(demo, s.system, s.alert)
    limit = budget(demo, name)
    injected = time.time()
    demo.cli("inject", name)
    page = first(demo, injected, limit + 30, alertname=s.alert, status="firing")
    detect = page["received"] - injected
    e2e_results[name] = {"alert": s.alert, "detect_seconds": round(detect, 2), "budget_seconds": limit,
                     "severity": page["severity"], "receiver": page["receiver"]}
    if name == "tidb-down":
        try:
            _only_the_database_page(demo, injected, page)
        except BaseException:
            demo.cli("recover", name)  # the next scenarios need TiDB back whatever failed here
            raise

    recovered = time.time()
    demo.cli("recover", name)
    resolved_at = wait_until(lambda: all_resolved(demo, injected, s.alert), RESOLVE_TIMEOUT, 0.5,
                             what=f"every {s.alert} page to be resolved after recover")
    e2e_results[name]["resolve_seconds"] = round(max(resolved_at - recovered, 0), 2)
    assert detect <= limit, f"{s.alert} paged {detect:.1f} s after {name}, over its {limit:.0f} s budget"


def _only_the_database_page(demo, injected: float, db_page: dict) -> None:
    """TiDB down: the symptoms fire in Prometheus, and Alertmanager's inhibitions keep them
    off every receiver while the database page is up.

    Which alerts are symptoms comes from the catalog's routing notes: a database being down
    explains Nectar's own symptoms and "the collector failures it causes" (the Nectar
    exporter's collectors that query TiDB fail while it is down)."""
    def symptom_firing():
        return demo.query('ALERTS{system="nectar", role="symptom", alertstate="firing"}'
                          ' or ALERTS{alertname="ExporterCollectorFailing", exporter="nectar", alertstate="firing"}')
    firing = wait_until(symptom_firing, 40, 0.5, what="a Nectar symptom alert to fire while TiDB is down")
    time.sleep(3 * FAST.evaluation_interval + 2)  # time for any leak through the inhibition to arrive
    since = db_page["received"] + 1  # Alertmanager checks inhibitions when it flushes a group
    during = [e for e in demo.pages() if e["received"] >= injected]
    other_pages = [e["alertname"] for e in during if e["severity"] == "critical" and e["alertname"] != "NectarDatabaseDown"]
    leaked = [e["alertname"] for e in during if e["received"] >= since and e["status"] == "firing"
              and e["alertname"] != "NectarDatabaseDown"
              and (e["system"] == "nectar" or e["labels"].get("exporter") == "nectar")]
    assert other_pages == [], f"with TiDB down, more than the database page arrived: {other_pages}"
    assert leaked == [], (f"inhibited Nectar alerts reached a receiver: {leaked}; "
                          f"firing in Prometheus: {[r['metric']['alertname'] for r in firing]}")


def _panel_targets(dashboard: dict):
    for panel in dashboard.get("panels", []):
        for inner in [panel, *panel.get("panels", [])]:
            for target in inner.get("targets", []) or []:
                if target.get("expr"):
                    yield inner.get("title", "?"), target["expr"]


GRAFANA_VARIABLES = {
    r"\$__rate_interval": "30s", r"\$__interval": "5s", r"\$__range": "5m",
    r"\$\{?job(:\w+)?\}?": ".+", r"\$\{?instance(:\w+)?\}?": ".+",
}


# Panels that are empty on a healthy demo by design, each with the reason (the source of it).
EMPTY_BY_DESIGN = {
    "Configured fields missing": "counts fields absent from answers; none is while the targets are healthy",
    "Scrape cache age": "exported only with scrape.min_interval_seconds > 0 (docs/exporters/common.md); the demo"
                        " collects on every scrape",
    "DB pool": "opt-in (endpoints.db_pool.enabled): TBURN never fills its pool block (docs/exporters/tburn.md)",
}


def _empty_by_design(title: str) -> bool:
    return any(title.startswith(prefix) for prefix in EMPTY_BY_DESIGN)


def test_every_dashboard_panel_has_data(demo):
    files = sorted((ROOT / "lookout" / "dashboards" / "generated").glob("*.json"))
    if not files:
        pytest.skip("no generated dashboards (dashboards/generated/*.json) yet")
    # A page must be active for the alert panels; an instant fault that stays until recover.
    demo.cli("inject", "tburn-breaker-open")
    try:
        wait_until(lambda: demo.query('ALERTS{alertname="TburnCircuitBreakerOpen", alertstate="firing"}'), 60, 1,
                   what="an alert to fire for the alert panels")
        empty = []
        for path in files:
            for title, expr in _panel_targets(json.loads(path.read_text())):
                query = expr
                for pattern, value in GRAFANA_VARIABLES.items():
                    query = re.sub(pattern, value, query)
                if not _empty_by_design(title) and not demo.query(query):
                    empty.append(f"{path.stem}: {title}: {expr}")
    finally:
        demo.cli("recover", "tburn-breaker-open")
    assert empty == [], "panels without data:\n" + "\n".join(empty)


def test_ctrl_c_stops_everything_and_leaves_nothing(demo):
    state = demo.state
    code = demo.stop()
    assert code == 0, demo.output()[-3000:]
    assert "Stopped" in demo.output()
    assert strays(state["demo_id"]) == []
    assert [d for d in state["temp_dirs"] if Path(d).exists()] == []
    assert not demo.state_file.exists()
