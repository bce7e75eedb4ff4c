"""Grafana colour steps from catalog signals, so a tile changes colour exactly where the
alert does.

Grafana gives a value the colour of the highest step whose value is <= it (a step holds
from its number upward, `>=`). The alert compares with `>`, `>=`, `<` or `<=` (the signal's
direction and `inclusive`, alert_rules/rules.py's OPERATORS). So a step starts at the
boundary when the boundary belongs to the colour above it (`>=` bad, or `<` bad: the
boundary itself is fine), and just past it otherwise (`>` bad: "warning > 2/h" means 2 is
green, the catalog's own example; `<=` bad).

"At" and "past" allow for rounding: a step starts ROUNDING (relative) below the boundary,
or that much above it. A quantity computed in floating point lands a few ulps off its exact
value (`rate(x[5m]) * 60` of 25 errors in 5 minutes is 5.000000000000001), and the rules
compare exactly (counts against counts), so such a value is still ON the boundary, and must
show the boundary's colour. ROUNDING is far above float error (~1e-15) and below any step
the quantities take (one byte in 80 GiB is 1.2e-11 relative; counts are whole).
"""
from __future__ import annotations

import math

ROUNDING = 1e-12


def step_value(boundary: float, starts_on: bool) -> float:
    """Where Grafana's step for `boundary` begins: just below it when the boundary (give or
    take rounding) takes the colour above, just above it when it keeps the colour below."""
    margin = (abs(boundary) or 1.0) * ROUNDING
    return boundary - margin if starts_on else boundary + margin


def starts_on(signal) -> bool:
    """True when the colour above a boundary includes the boundary itself."""
    return (signal.direction == "above") == bool(signal.inclusive)


def signal_steps(signals) -> list[tuple[float | None, str]]:
    """[(None, base colour), (value, colour), ...] ascending, Grafana's order. One signal
    gives its own colours (Signal.steps(): green/yellow/red, or the reverse for `below`);
    several bounding one quantity (a floor and a ceiling) give the first one's base and
    every signal's boundaries in order."""
    steps: list[tuple[float, str]] = []
    for sig in signals:
        for value, colour in sig.steps()[1:]:
            steps.append((step_value(value, starts_on(sig)), colour))
    if any(not math.isfinite(v) for v, _ in steps):
        raise ValueError(f"non-finite boundary in {[s.key for s in signals]}")
    return [signals[0].steps()[0], *sorted(steps)]
