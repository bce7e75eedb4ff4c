"""Drift: every coloured panel takes its boundaries from the alert catalog, equal to the
signal's and to the generated alert rules'; no threshold is typed in dashboards/."""
from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from pathlib import Path

import yaml
from .dashboard_json import ROOT, panels

from lookout.alert_rules.catalog import SIGNALS
from lookout.alert_rules.units import promql_number
from lookout.dashboards.promql import scope

SIGNAL_KEY = re.compile(r"catalog signal `([^`]+)`")
RULES = ROOT / "lookout" / "alert_rules" / "generated"
# The tiles the issue asks the wall screen for, by catalog signal.
WALL_SIGNALS = {"nectar_sync_speed", "ticks_rate", "ticks_last_tick_age", "pm2_restarts", "pm2_memory",
                "tburn_heap", "tburn_event_loop_lag", "tburn_error_ratio", "tburn_latency_p99", "exporter_up"}


def expected_steps(signals) -> list[dict]:
    """A signal's own steps; for a floor and a ceiling on one quantity, the first one's base
    and all boundaries in ascending order."""
    steps = [signals[0].steps()[0]] + sorted(s for sig in signals for s in sig.steps()[1:])
    return [{"color": c, "value": v} for v, c in steps]


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
            elif p["type"] == "table":
                if not any(steps == expected_steps([s]) for s in signals):
                    problems.append(f"{where}: column steps {steps} match none of {keys}")
            elif steps != expected_steps(signals):
                problems.append(f"{where}: steps {steps} != {expected_steps(signals)} from {keys}")
        exprs = [t["expr"] for t in p.get("targets", [])]
        for sig in signals:
            if not any(sig.expr in e or scope(sig.expr) in e for e in exprs) and not _is_view_of(sig, p):
                problems.append(f"{where}: coloured by {sig.key} but does not show {sig.expr}")
    return problems


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
    typed = next(p for p in panels(wall) if p["title"] == "Sync lag (slots)")
    typed["fieldConfig"]["defaults"]["thresholds"]["steps"].append({"color": "red", "value": 86400})
    problems = threshold_problems(wall, by_key)
    assert any("Heap" in p for p in problems) and any("Sync lag" in p for p in problems), problems


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
    assert steps["tburn_heap"][1] == {"color": "yellow", "value": 0.6}
    assert steps["ticks_rate"][1] == {"color": "yellow", "value": 40}


def test_a_bad_override_is_refused_naming_the_key(tmp_path):
    overrides = tmp_path / "thresholds.yml"
    overrides.write_text("tburn_heap:\n  warning: lots\n")
    run = subprocess.run([sys.executable, "-m", "lookout.dashboards", "--thresholds", str(overrides),
                          "--out", str(tmp_path / "out")], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 2
    assert "tburn_heap.warning" in run.stderr
    assert not (tmp_path / "out").exists()
