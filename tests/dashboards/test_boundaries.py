"""A tile and its alert on the boundary value itself, both judged by Prometheus's own engine
(`promtool test rules` over the committed rule files): the tile's query from the committed
JSON is compared with its colour steps the way Grafana compares (value >= step), and the
alert's firing state is read from the ALERTS series. The expected colour is the catalog's
(alert-catalog.md, typed here), and the alert fires exactly when the colour says so:
green none, yellow the warning only, red the critical."""
from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass

import pytest
import yaml
from .dashboard_json import panels, substitute

from .test_thresholds import RULES, SIGNAL_KEY, SIGNALS

GiB = 2**30
PM2 = 'instance="i",job="j"'


@dataclass(frozen=True)
class Case:
    key: str          # the catalog signal whose tile and alert are judged
    why: str          # the catalog's words for this value
    series: dict      # input series -> promtool values
    at: str           # evaluation time: every window filled and every `for` over
    colour: str


CASES = [
    Case("pm2_restarts", "> 2/h: 2 restarts in an hour is green",
         {f'pm2_process_restarts_total{{{PM2},name="api",pm_id="0"}}': "0x60 2x40"}, "90m", "green"),
    Case("pm2_restarts", "> 2/h: 3 restarts in an hour is yellow",
         {f'pm2_process_restarts_total{{{PM2},name="api",pm_id="0"}}': "0x60 3x40"}, "90m", "yellow"),
    Case("pm2_restarts", "> 5/h critical: 5 restarts is still yellow",
         {f'pm2_process_restarts_total{{{PM2},name="api",pm_id="0"}}': "0x60 5x40"}, "90m", "yellow"),
    Case("pm2_sync_api_errors", "> 5/min: 25 errors in 5 minutes is exactly 5/min, green",
         {f"pm2_sync_api_errors_total{{{PM2}}}": "0+5x40"}, "30m", "green"),
    Case("pm2_sync_api_errors", "> 5/min: 30 errors in 5 minutes is yellow",
         {f"pm2_sync_api_errors_total{{{PM2}}}": "0+6x40"}, "30m", "yellow"),
    Case("ticks_rate", "< 150/min warning: 150 is green",
         {'ticks_table_ticks_per_minute{instance="i",job="j",table="t"}': "150x30"}, "20m", "green"),
    Case("ticks_rate", "< 50/min critical: 50 is yellow, the warning band's floor",
         {'ticks_table_ticks_per_minute{instance="i",job="j",table="t"}': "50x30"}, "20m", "yellow"),
    Case("nectar_memory", ">= 80 GiB: the boundary itself is yellow",
         {'nectar_process_resident_memory_bytes{instance="i",job="j"}': f"{80 * GiB}x30"}, "20m", "yellow"),
    Case("tburn_heap", "> 0.70: 0.70 is green",
         {'tburn_heap_ratio{instance="i",job="j"}': "0.7x30"}, "20m", "green"),
    Case("tburn_heap", "> 0.85 critical: 0.85 is yellow",
         {'tburn_heap_ratio{instance="i",job="j"}': "0.85x30"}, "20m", "yellow"),
    Case("tburn_heap_growth", "> 5%/h: 1.05e9 bytes an hour after 1e9 is exactly +5%, green",
         {'tburn_heap_used_bytes{instance="i",job="j"}': "1e9x70 1.05e9x70"}, "110m", "green"),
]
def rule_files() -> list[str]:
    return sorted(str(p) for p in RULES.glob("*.yml"))


def tile(dashboards, key: str) -> tuple[str, list[dict]]:
    """The query and steps of a stat tile coloured by `key` alone: a system dashboard's,
    else the wall's."""
    for name in sorted(dashboards, key=lambda n: n == "wall"):
        for p in panels(dashboards[name]):
            if p["type"] == "stat" and SIGNAL_KEY.findall(p.get("description") or "") == [key]:
                return substitute(p["targets"][0]["expr"]), p["fieldConfig"]["defaults"]["thresholds"]["steps"]
    raise LookupError(f"no stat tile coloured by {key}")


def expected(case: Case, steps: list[dict]) -> tuple[list[bool], dict[str, bool]]:
    """For each step past the base, whether the value reaches it; and which severities fire."""
    colours = [s["color"] for s in steps]
    active = colours.index(case.colour)
    reaches = [i <= active for i in range(1, len(steps))]
    fires = {"warning": case.colour == "yellow", "critical": case.colour == "red"}
    if case.colour == "red":
        fires.pop("warning")  # both may fire; Alertmanager's inhibition keeps one
    return reaches, fires


def promtool_case(case: Case, query: str, steps: list[dict], alert: str) -> dict:
    reaches, fires = expected(case, steps)
    one = [{"labels": "{}", "value": 1}]
    tests = [{"expr": f"count(({query}) >= {step['value']!r})", "eval_time": case.at, "exp_samples": one if hit else []}
             for step, hit in zip(steps[1:], reaches)]
    tests += [{"expr": f'count(ALERTS{{alertname="{alert}",alertstate="firing",severity="{severity}"}})',
               "eval_time": case.at, "exp_samples": one if firing else []} for severity, firing in fires.items()]
    return {"interval": "1m", "input_series": [{"series": s, "values": v} for s, v in case.series.items()],
            "promql_expr_test": tests}


@pytest.mark.parametrize("case", [pytest.param(c, id=f"{c.key}-{c.colour}-{re.sub(r'[^0-9]+', '_', c.why)[:12]}")
                                  for c in CASES])
def test_tile_and_alert_agree_on_the_boundary(case, dashboards, tmp_path):
    query, steps = tile(dashboards, case.key)
    spec = {"rule_files": rule_files(), "evaluation_interval": "1m",
            "tests": [promtool_case(case, query, steps, next(s for s in SIGNALS if s.key == case.key).alert)]}
    path = tmp_path / "boundary.yml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    result = subprocess.run(["promtool", "test", "rules", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, f"{case.why}\n{result.stdout}{result.stderr}"


def test_the_check_sees_a_tile_one_step_early(dashboards, tmp_path):
    """The promtool judge reports a tile that turns yellow on an exclusive boundary."""
    case = CASES[0]
    query, steps = tile(dashboards, case.key)
    early = [steps[0], {**steps[1], "value": 2}, *steps[2:]]
    spec = {"rule_files": rule_files(), "evaluation_interval": "1m",
            "tests": [promtool_case(case, query, early, next(s for s in SIGNALS if s.key == case.key).alert)]}
    path = tmp_path / "early.yml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    result = subprocess.run(["promtool", "test", "rules", str(path)], capture_output=True, text=True)
    output = result.stdout + result.stderr
    assert result.returncode != 0 and ">= 2)" in output, output
