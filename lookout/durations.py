"""Prometheus duration strings ("90s", "1h30m", "500ms"), the one parser every part uses.

The grammar is Prometheus' own (`model.ParseDuration`): one or more `<integer><unit>` with
units ms, s, m, h, d, w, y, largest first is not required here; "0" alone is zero. Standard
library only, so the rule generator, the demo, the deploy generators and the simulators can all
import it without loading an exporter.
"""
from __future__ import annotations

import re

UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
_PART = r"[0-9]+(?:ms|s|m|h|d|w|y)"
PATTERN = rf"(?:0|(?:{_PART})+)"
DURATION = re.compile(rf"^{PATTERN}$")
_PARTS = re.compile(r"([0-9]+)(ms|s|m|h|d|w|y)")


def seconds(duration: str) -> float:
    """Seconds in a Prometheus duration; ValueError naming the text if it is not one."""
    if not isinstance(duration, str) or not DURATION.match(duration):
        raise ValueError(f"not a Prometheus duration: {duration!r}")
    return float(sum(int(n) * UNIT_SECONDS[u] for n, u in _PARTS.findall(duration)))
