"""Reading the generated dashboards: files, panels, queries, Grafana's variable substitution.
(A module of its own, not conftest.py: every test area has a conftest, and `from conftest
import` would get whichever area's was loaded last.)"""
from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GENERATED = ROOT / "lookout" / "dashboards" / "generated"
# What Grafana puts in place of the template variables when "All" is selected.
VARIABLES = {"job": ".*", "instance": ".*", "datasource": "default"}
_VARIABLE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")


def substitute(expr: str) -> str:
    """Grafana's variable interpolation for the variables the dashboards use; anything else
    (label_replace's "$1") is left alone."""
    return _VARIABLE.sub(lambda m: VARIABLES.get(m.group(1) or m.group(2), m.group(0)), expr)


def load_dashboards() -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text()) for p in sorted(GENERATED.glob("*.json"))}


def panels(dashboard: dict) -> list[dict]:
    return [p for p in dashboard["panels"] if p.get("type") != "row"]


def queries(dashboards: dict[str, dict]) -> list[tuple[str, str, str]]:
    """(dashboard, panel title, expression) for every panel target."""
    return [(name, p["title"], t["expr"]) for name, d in dashboards.items()
            for p in panels(d) for t in p.get("targets", [])]
