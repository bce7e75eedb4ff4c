"""How numbers appear in PromQL, in static alert text and in alert templates."""
from __future__ import annotations

import math

_BINARY = (("EiB", 2**60), ("PiB", 2**50), ("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10))


def promql_number(x: float) -> str:
    """Shortest exact spelling: 80 GiB stays 85899345920, 0.7 stays 0.7 (never 0.69999...)."""
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
        raise ValueError(f"not a finite number: {x!r}")
    if float(x).is_integer() and abs(x) < 2**63:
        return str(int(x))
    return repr(float(x))


def human(x: float, unit: str) -> str:
    """A boundary as an operator reads it, for the generated descriptions."""
    if unit == "bytes":
        for name, size in _BINARY:
            if abs(x) >= size:
                return f"{x / size:g} {name}"
        return f"{x:g} B"
    if unit == "s":
        if abs(x) < 1 and x:
            return f"{x * 1000:g} ms"
        return f"{x:g}s"
    if unit == "percentunit":
        return f"{x * 100:g}%"
    return f"{x:g}"


def value_template(unit: str) -> str:
    """The alert's current value, formatted by Prometheus's own template functions."""
    if unit == "bytes":
        return "{{ $value | humanize1024 }}B"
    if unit == "s":
        return "{{ $value | humanizeDuration }}"
    if unit == "percentunit":
        return "{{ $value | humanizePercentage }}"
    return "{{ $value | humanize }}"
