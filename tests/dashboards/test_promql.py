"""Every panel query and variable query is PromQL that a real Prometheus accepts, once
Grafana's variables are substituted; and the scoping rewrite keeps PromQL valid."""
from __future__ import annotations

import re
import subprocess

import promql_parser
import pytest
import yaml
from .dashboard_json import queries, substitute

from lookout.dashboards.promql import scope, stateset_index

LABEL_VALUES = re.compile(r"^label_values\((.*),\s*(\w+)\)$")


def rejected(prometheus, expr: str) -> str | None:
    """Prometheus's complaint about `expr`, or None when it evaluates it."""
    answer = prometheus.query(substitute(expr))
    return None if answer["status"] == "success" else f"{answer.get('errorType')}: {answer.get('error')}"


def test_every_panel_query_is_valid_promql(prometheus, dashboards):
    found = queries(dashboards)
    assert len(found) > 100
    problems = [f"{d} / {title}: {expr}\n    {why}" for d, title, expr in found
                if (why := rejected(prometheus, expr))]
    assert not problems, "\n".join(problems)


def test_every_variable_query_selects_valid_series(prometheus, dashboards):
    checked = 0
    for name, d in dashboards.items():
        for var in d["templating"]["list"]:
            if var["type"] != "query":
                continue
            selector = LABEL_VALUES.match(var["query"])
            assert selector, (name, var["query"])
            assert rejected(prometheus, selector.group(1)) is None, (name, var["query"])
            checked += 1
    assert checked >= 10


def test_the_harness_detects_invalid_promql(prometheus):
    # The test above means something only if a broken query is reported as broken.
    assert rejected(prometheus, "sum by (job (up)") is not None
    assert rejected(prometheus, 'min{job=~".*"} by (job) (up)') is not None
    assert rejected(prometheus, "up") is None


M = {"k": ("=~", "v")}


@pytest.mark.parametrize("expr, expected", [
    ("up", 'up{M}'),
    ('nectar_up{job="a"}', 'nectar_up{job="a",M}'),
    ("sum by (job, instance) (rate(x_total[5m])) * 60", "sum by (job, instance) (rate(x_total{M}[5m])) * 60"),
    ("min(x) without (le) > bool 0.5e3", "min(x{M}) without (le) > bool 0.5e3"),
    ('{__name__=~"(a|b)_up"}', '{__name__=~"(a|b)_up",M}'),
    ('label_replace(a:b:c, "dst", "$1", "src", "(.+)_x")', 'label_replace(a:b:c{M}, "dst", "$1", "src", "(.+)_x")'),
    ("a / on(instance) group_left(name) b offset 1h", "a{M} / on(instance) group_left(name) b{M} offset 1h"),
    ("max_over_time(deriv(x[10m])[1h:5m])", "max_over_time(deriv(x{M}[10m])[1h:5m])"),
    ("time() - x", "time() - x{M}"),
    ('x{s="} by (y)"}', 'x{s="} by (y)",M}'),
    ("rate(x[5m] offset 1h) + y @ end()", "rate(x{M}[5m] offset 1h) + y{M} @ end()"),
])
def test_scope_adds_matchers_to_every_selector_only(expr, expected):
    # Compared in the parser's canonical spelling, which is how the rewrite prints.
    assert scope(expr, M) == str(promql_parser.parse(expected.replace("M}", 'k=~"v"}')))


def test_scope_refuses_what_it_cannot_print_back():
    # promql-parser 0.11 prints strings unescaped: rewriting these would break them.
    with pytest.raises(ValueError, match="backslash"):
        scope('x{a=~"\\d+"}', M)
    with pytest.raises(ValueError):
        scope("sum by (job (up)", M)


def test_scoped_catalog_expressions_stay_valid(prometheus):
    from lookout.alert_rules.catalog import build
    problems = [f"{s.key}: {scope(s.expr)}" for s in build() if rejected(prometheus, scope(s.expr))]
    assert not problems


def test_stateset_index_and_scope_evaluate_as_intended(tmp_path):
    """Evaluated by Prometheus's own engine (`promtool test rules`) over synthetic series."""
    index = stateset_index("m", ["a", "b", "c"], by=("k",))
    series = {("x", "a"): "0 0", ("x", "b"): "0 1", ("x", "c"): "1 0",
              ("y", "a"): "1 1", ("y", "b"): "0 0", ("y", "c"): "0 0"}
    case = {
        "interval": "1m",
        "input_series": [{"series": f'm{{k="{k}",m="{state}"}}', "values": v} for (k, state), v in series.items()],
        "promql_expr_test": [
            {"expr": index, "eval_time": "0m", "exp_samples": [{"labels": '{k="x"}', "value": 2},
                                                                {"labels": '{k="y"}', "value": 0}]},
            {"expr": index, "eval_time": "1m", "exp_samples": [{"labels": '{k="x"}', "value": 1},
                                                                {"labels": '{k="y"}', "value": 0}]},
            {"expr": scope(index, {"k": ("=", "y")}), "eval_time": "1m", "exp_samples": [{"labels": '{k="y"}', "value": 0}]},
        ],
    }
    path = tmp_path / "test.yml"
    path.write_text(yaml.safe_dump({"rule_files": [], "evaluation_interval": "1m", "tests": [case]}))
    result = subprocess.run(["promtool", "test", "rules", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
