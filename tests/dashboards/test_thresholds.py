"""Drift: every coloured panel takes its boundaries from the alert catalog, equal to the
signal's and to the generated alert rules'; no threshold is typed in dashboards/."""
from __future__ import annotations

import copy
import json
import math
import re
import subprocess
import sys

import yaml
from .dashboard_json import ROOT, panels

from lookout.alert_rules.catalog import build
from lookout.alert_rules.units import promql_number
from lookout.dashboards.promql import scope

SIGNAL_KEY = re.compile(r"catalog signal `([^`]+)`")
RULES = ROOT / "lookout" / "alert_rules" / "generated"
# The tiles the issue asks the wall screen for, by catalog signal.
WALL_SIGNALS = {"nectar_sync_speed", "ticks_rate", "ticks_last_tick_age", "pm2_restarts", "pm2_memory",
                "tburn_heap", "tburn_event_loop_lag", "tburn_error_ratio", "tburn_latency_p99", "exporter_up"}

SIGNALS = build()


def grafana_colour(steps: list[dict], value: float) -> str:
    """Grafana's rule (getActiveThreshold): the last step whose value is <= the value; the
    base step (value null) below every other."""
    active = steps[0]
    for step in steps[1:]:
        if not value >= step["value"]:
            break
        active = step
    return active["color"]


def alert_colour(signals, value: float) -> str:
    """The catalog's colour for `value`: "green below the warning boundary, yellow between
    warning and critical, red past critical", a boundary being exclusive unless the row
    says otherwise (`inclusive`: ">=" in the catalog)."""
    def fires(sig, boundary):
        if boundary is None:
            return False
        if sig.direction == "above":
            return value >= boundary if sig.inclusive else value > boundary
        return value <= boundary if sig.inclusive else value < boundary
    if any(fires(s, s.critical) for s in signals):
        return "red"
    if any(fires(s, s.warning) for s in signals):
        return "yellow"
    return "green"


def probes(boundary: float) -> list[float]:
    """Values on and around a boundary: on it, a few float ulps off it (a rate computed in
    floating point, which the exact rules count as on it), and clearly either side."""
    off = (abs(boundary) or 1.0) * 1e-6
    return [boundary, boundary + 4 * math.ulp(boundary), boundary - 4 * math.ulp(boundary),
            boundary + off, boundary - off]


def on_boundary(value: float, boundary: float) -> float:
    """The value the exact rules see: within float rounding of the boundary is on it."""
    return boundary if abs(value - boundary) <= 8 * math.ulp(boundary) else value


def coloured(panel: dict) -> list[list[dict]]:
    """Every threshold step list of a panel: its defaults and its per-column overrides."""
    found = [panel["fieldConfig"]["defaults"]["thresholds"]["steps"]]
    for override in panel["fieldConfig"].get("overrides", []):
        found += [prop["value"]["steps"] for prop in override["properties"] if prop["id"] == "thresholds"]
    return found


def threshold_problems(dashboard: dict, by_key: dict) -> list[str]:
    problems = []
    for p in panels(dashboard):
        where = f"{dashboard['uid']} / {p['title']}"
        keys = SIGNAL_KEY.findall(p.get("description") or "")
        signals = [by_key[k] for k in keys]
        for steps in coloured(p):
            if len(steps) == 1:
                continue  # a single base colour: no boundary
            if not signals:
                problems.append(f"{where}: boundaries {steps} name no catalog signal")
                continue
            # A table colours each column by one signal; other panels by all they name.
            groups = [[s] for s in signals] if p["type"] == "table" else [signals]
            if not any(_colours_like(steps, g) for g in groups):
                problems.append(f"{where}: steps {steps} do not change colour where {keys} alert")
        exprs = [t["expr"] for t in p.get("targets", [])]
        for sig in signals:
            if not any(sig.expr in e or scope(sig.expr) in e for e in exprs) and not _is_view_of(sig, p):
                problems.append(f"{where}: coloured by {sig.key} but does not show {sig.expr}")
    return problems


def _colours_like(steps: list[dict], signals) -> bool:
    """The steps give the catalog's colour on, just off and either side of every boundary,
    and there is no step where no boundary is."""
    boundaries = [b for s in signals for b in (s.warning, s.critical) if b is not None]
    if len(steps) - 1 != len(boundaries):
        return False
    return all(grafana_colour(steps, v) == alert_colour(signals, on_boundary(v, b))
               for b in boundaries for v in probes(b))


def _is_view_of(sig, panel) -> bool:
    # The wall's "Exporters up" and the Lookout dashboard show `up` reduced per job.
    return sig.expr == "up" and any("(up" in t["expr"] for t in panel.get("targets", []))


def test_every_coloured_panel_follows_its_catalog_signal(dashboards):
    by_key = {s.key: s for s in SIGNALS}
    problems = [p for d in dashboards.values() for p in threshold_problems(d, by_key)]
    assert not problems, "\n".join(problems)


def test_a_drifted_tile_is_reported(dashboards):
    by_key = {s.key: s for s in SIGNALS}
    wall = copy.deepcopy(dashboards["wall"])
    heap = next(p for p in panels(wall) if "`tburn_heap`" in (p.get("description") or ""))
    heap["fieldConfig"]["defaults"]["thresholds"]["steps"][1]["value"] = 0.75
    restarts = next(p for p in panels(wall) if "`pm2_restarts`" in (p.get("description") or ""))
    restarts["fieldConfig"]["defaults"]["thresholds"]["steps"][1]["value"] = 2  # yellow from 2: one early
    typed = next(p for p in panels(wall) if p["title"] == "Sync lag (slots)")
    typed["fieldConfig"]["defaults"]["thresholds"]["steps"].append({"color": "red", "value": 86400})
    problems = threshold_problems(wall, by_key)
    assert any("Heap" in p for p in problems) and any("Sync lag" in p for p in problems), problems
    assert any("Restarts/h" in p for p in problems), problems


def test_boundaries_equal_the_generated_alert_rules(dashboards):
    """Each boundary a dashboard shows is the one in alert_rules/<system>.yml for that alert
    and severity (in its expression or a recording rule it reads)."""
    rules = {}
    for path in RULES.glob("*.yml"):
        if path.name == "thresholds.yml":
            continue
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                rules.setdefault(rule.get("alert") or rule["record"], []).append(rule)
    by_key = {s.key: s for s in SIGNALS}
    shown = {k for d in dashboards.values() for p in panels(d) for k in SIGNAL_KEY.findall(p.get("description") or "")}
    assert shown, "no panel names a catalog signal"
    problems = []
    for key in sorted(shown):
        sig = by_key[key]
        for severity in ("warning", "critical"):
            boundary = getattr(sig, severity)
            if boundary is None:
                continue
            alerts = [r for r in rules.get(sig.alert, []) if r["labels"]["severity"] == severity]
            texts = [_with_recorded(r["expr"], rules) for r in alerts]
            number = re.compile(rf"(?<![\w.]){re.escape(promql_number(boundary))}(?![\w.])")
            if not any(number.search(t) for t in texts):
                problems.append(f"{key}: {severity} {promql_number(boundary)} not in the {sig.alert} rule(s)")
    assert not problems, "\n".join(problems)


def _with_recorded(expr: str, rules: dict) -> str:
    recorded = [r["expr"] for name, rs in rules.items() for r in rs if "record" in r and name in expr]
    return "\n".join([expr, *recorded])


# The catalog's own words, value by value ("warning > 2/h means 2 restarts in an hour is
# green and 3 is yellow"; TickRateLow "green 150-250/min, yellow 50-150, red < 50"; memory
# ">= 80 GiB"; restart budget ">= 5 restarts in 24h"), typed here from alert-catalog.md.
CATALOG_EXAMPLES = [
    ("pm2_restarts", 2, "green"), ("pm2_restarts", 3, "yellow"), ("pm2_restarts", 5, "yellow"),
    ("pm2_restarts", 6, "red"),
    ("ticks_rate", 150, "green"), ("ticks_rate", 149, "yellow"), ("ticks_rate", 50, "yellow"),
    ("ticks_rate", 49, "red"),
    ("nectar_memory", 80 * 2**30, "yellow"), ("nectar_memory", 80 * 2**30 - 1, "green"),
    ("nectar_memory", 95 * 2**30, "red"),
    ("pm2_restart_budget", 4, "green"), ("pm2_restart_budget", 5, "yellow"),
    ("tburn_heap", 0.7, "green"), ("tburn_heap", 0.85, "yellow"), ("tburn_heap", 0.86, "red"),
    ("pm2_sync_api_errors", 5, "green"), ("pm2_sync_api_errors", 5.000000000000001, "green"),
    ("pm2_sync_api_errors", 5.2, "yellow"),
    ("tburn_shards", 24, "green"), ("tburn_shards", 23, "yellow"), ("tburn_shards", 64, "green"),
    ("tburn_shards", 65, "yellow"),
]


def test_tiles_colour_the_catalogs_examples(dashboards):
    """Every panel coloured by one of these signals, on the catalog's own example values."""
    checked, problems = 0, []
    for d in dashboards.values():
        for p in panels(d):
            keys = SIGNAL_KEY.findall(p.get("description") or "")
            for key, value, colour in CATALOG_EXAMPLES:
                if key not in keys and not (key == "tburn_shards" and "tburn_shards_min" in keys):
                    continue
                for steps in coloured(p)[:1] if p["type"] != "table" else []:
                    checked += 1
                    if grafana_colour(steps, value) != colour:
                        problems.append(f"{d['uid']} / {p['title']}: {value} shows "
                                        f"{grafana_colour(steps, value)}, the catalog says {colour}")
    assert checked >= len(CATALOG_EXAMPLES), checked
    assert not problems, "\n".join(problems)


def test_the_wall_shows_the_signals_the_issue_names(dashboards):
    shown = {k for p in panels(dashboards["wall"]) for k in SIGNAL_KEY.findall(p.get("description") or "")}
    assert WALL_SIGNALS <= shown, WALL_SIGNALS - shown


def test_an_operator_override_reaches_the_tiles(tmp_path):
    """One config, regenerate: the same thresholds file the rule generator reads."""
    overrides = tmp_path / "thresholds.yml"
    overrides.write_text("tburn_heap:\n  warning: 60%\nticks_rate:\n  critical: 40\n")
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-m", "lookout.dashboards", "--thresholds", str(overrides), "--out", str(out)],
                         cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    wall = json.loads((out / "wall.json").read_text())
    steps = {SIGNAL_KEY.findall(p["description"])[0]: p["fieldConfig"]["defaults"]["thresholds"]["steps"]
             for p in panels(wall) if SIGNAL_KEY.search(p.get("description") or "")}
    # heap: "> 60%" is exclusive, so 0.6 itself stays green; ticks: "< 40" leaves 40 yellow.
    assert [grafana_colour(steps["tburn_heap"], v) for v in (0.6, 0.6001)] == ["green", "yellow"]
    assert [grafana_colour(steps["ticks_rate"], v) for v in (39.99, 40)] == ["red", "yellow"]


def test_a_bad_override_is_refused_naming_the_key(tmp_path):
    overrides = tmp_path / "thresholds.yml"
    overrides.write_text("tburn_heap:\n  warning: lots\n")
    run = subprocess.run([sys.executable, "-m", "lookout.dashboards", "--thresholds", str(overrides),
                          "--out", str(tmp_path / "out")], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 2
    assert "tburn_heap.warning" in run.stderr
    assert not (tmp_path / "out").exists()
