"""Numbers with units, as PM2's axm_monitor and health endpoints write them, in base units.

`@pm2/io` reports "7.23" with unit "MiB", 72.5 with "%", "0.45" with "ms"; a health
endpoint may say 1200 or "1.2s". Byte multiples are binary whatever their spelling:
Node tooling (pmx, @pm2/io, PM2's own `--max-memory-restart 200M`) divides by 1024.
PM2 stores max_memory_restart already converted to bytes.
"""
from __future__ import annotations

import math
import re
from typing import Any

from lookout.exporters.runtime.fields import plain_number

_SCALE = {
    "": 1.0, "b": 1.0, "byte": 1.0, "bytes": 1.0,
    # No bare "m": in a duration it would mean minutes.
    "kb": 1024.0, "kib": 1024.0,
    "mb": 1024.0 ** 2, "mib": 1024.0 ** 2,
    "gb": 1024.0 ** 3, "gib": 1024.0 ** 3,
    "ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "sec": 1.0, "secs": 1.0,
    "min": 60.0, "h": 3600.0,
    "%": 0.01,
}
_QUANTITY = re.compile(r"^\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*([A-Za-zµ%]*)\s*$")


def quantity(value: Any, unit: str = "") -> float | None:
    """`value` in base units, or None when it is not a finite number of a known unit.

    A unit written in the value ("12ms") wins over the declared `unit`.
    """
    try:
        return _quantity(value, unit)
    except TypeError:  # unhashable: an object or a list is no quantity
        return None


# axm_monitor repeats many of its values ("0.50" ms, 2 handles) across processes and scrapes,
# and changes others on every scrape (heap usage, event loop latency). Answers are kept for the
# first _KEPT_MAX keys and never evicted: an LRU cache (functools.lru_cache, as before) replaced
# its oldest entry on every new value, and those entries, living hundreds of scrapes among each
# scrape's garbage, grew the exporter's RSS by about 0.4 MB over 10,000 scrapes before it
# settled (pymalloc pools and the collector threads' malloc arenas; issue 24). Keyed by the
# value's class too: True, 1 and 1.0 are different answers.
_KEPT: dict[tuple, float | None] = {}
_KEPT_MAX = 1024
_MISSING = object()


def _quantity(value: Any, unit: str) -> float | None:
    """quantity() for a hashable value (TypeError for an unhashable one), its answer kept."""
    key = (value, unit, value.__class__)
    found = _KEPT.get(key, _MISSING)
    if found is _MISSING:
        found = _parse(value, unit)
        if len(_KEPT) < _KEPT_MAX:
            _KEPT[key] = found
    return found


def _parse(value: Any, unit: str) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        number, written = float(value), ""
    elif isinstance(value, str):
        m = _QUANTITY.match(value)
        if not m:
            return None
        number, written = float(m[1]), m[2]
    else:
        return None
    scale = _SCALE.get((written or unit or "").strip().lower())
    if scale is None or not math.isfinite(number):
        return None
    return number * scale


# A plain finite number (no units, no strings, no booleans), or None.
number = plain_number
