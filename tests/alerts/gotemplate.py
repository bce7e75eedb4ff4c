"""Prometheus's alert template functions, ported to predict the annotations promtool expects.

Only what the generated descriptions use: `{{ $value | humanize* }}` and
`{{ $labels.name }}`. promtool compares the rendered text with ours, so a wrong port
fails the rule tests rather than passing silently.
"""
from __future__ import annotations

import math
import re

_SMALL = ("m", "u", "n", "p", "f", "a", "z", "y")


def _g(v: float) -> str:
    # Go's %.4g and C's agree on digits, exponent form and trailing-zero removal.
    return "%.4g" % v


def humanize(v: float) -> str:
    if v == 0 or math.isnan(v) or math.isinf(v):
        return _g(v)
    if abs(v) >= 1:
        prefix = ""
        for p in ("k", "M", "G", "T", "P", "E", "Z", "Y"):
            if abs(v) < 1000:
                break
            prefix, v = p, v / 1000
        return _g(v) + prefix
    prefix = ""
    for p in _SMALL:
        if abs(v) >= 1:
            break
        prefix, v = p, v * 1000
    return _g(v) + prefix


def humanize1024(v: float) -> str:
    if abs(v) <= 1 or math.isnan(v) or math.isinf(v):
        return _g(v)
    prefix = ""
    for p in ("ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"):
        if abs(v) < 1024:
            break
        prefix, v = p, v / 1024
    return _g(v) + prefix


def humanize_duration(v: float) -> str:
    if math.isnan(v) or math.isinf(v):
        return _g(v)
    if v == 0:
        return _g(v) + "s"
    if abs(v) >= 1:
        sign = "-" if v < 0 else ""
        v = abs(v)
        total = int(v)
        seconds, minutes = total % 60, (total // 60) % 60
        hours, days = (total // 3600) % 24, total // 86400
        if days:
            return f"{sign}{days}d {hours}h {minutes}m {seconds}s"
        if hours:
            return f"{sign}{hours}h {minutes}m {seconds}s"
        if minutes:
            return f"{sign}{minutes}m {seconds}s"
        return f"{sign}{_g(v)}s"
    prefix = ""
    for p in _SMALL:
        if abs(v) >= 1:
            break
        prefix, v = p, v * 1000
    return f"{_g(v)}{prefix}s"


def humanize_percentage(v: float) -> str:
    return _g(v * 100) + "%"


FUNCTIONS = {"humanize": humanize, "humanize1024": humanize1024,
             "humanizeDuration": humanize_duration, "humanizePercentage": humanize_percentage}
_VALUE = re.compile(r"\{\{ \$value \| (\w+) \}\}")
_LABEL = re.compile(r"\{\{ \$labels\.(\w+) \}\}")


def render(template: str, value: float, labels: dict[str, str]) -> str:
    text = _VALUE.sub(lambda m: FUNCTIONS[m.group(1)](value), template)
    text = _LABEL.sub(lambda m: labels.get(m.group(1), ""), text)
    if "{{" in text:
        raise ValueError(f"template construct this port does not know: {template!r}")
    return text
