"""PromQL for the dashboards: scoping a catalog expression to the dashboard's job/instance
variables, and turning a state set into one numeric series.

Scoping works on the catalog's own expressions, so a tile shows exactly the quantity its
alert measures. It rewrites through the shared parser (`lookout.promql`), and the tests
hand every scoped expression to a real Prometheus to parse.
"""
from __future__ import annotations

from lookout.promql import add_matchers

# The selection every system dashboard applies; "All" is the regex ".*", which also
# matches series without the label (recording rules that aggregated it away).
JOB_INSTANCE = {"job": ("=~", "$job"), "instance": ("=~", "$instance")}


def scope(expr: str, matchers=JOB_INSTANCE) -> str:
    """`expr` with `matchers` ({label: (op, value)}) on every vector selector."""
    return add_matchers(expr, matchers)


def stateset_index(metric: str, states: list[str], by: tuple[str, ...] = ()) -> str:
    """One series per `by` group whose value is the index of the current state in `states`,
    so a state timeline or a stat tile can map numbers to names and colours."""
    parts = [f'({metric}{{{metric}="{state}"}} == 1) * {index}' for index, state in enumerate(states)]
    group = f" by ({', '.join(by)})" if by else ""
    return f"max{group} (" + " or ".join(parts) + ")"
