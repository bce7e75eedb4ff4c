"""The operator's threshold overrides (alert_rules/thresholds.yml), checked and applied.

A typo must not silently leave the default in force, so every key and value is checked
and an error names the exact key (`nectar_memory.warning: ...`).
"""
from __future__ import annotations

import dataclasses
import difflib
import math
import re
from pathlib import Path

import yaml

from lookout.durations import DURATION, UNIT_SECONDS

from .model import Signal
from .settings import Config, absolute_url_problem, system_settings

LEVELS = ("warning", "critical")
_BYTES = {"B": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40,
          "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12}
_QUANTITY = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([A-Za-z%]*)\s*$")


class OverrideError(ValueError):
    def __init__(self, key: str, problem: str):
        super().__init__(f"{key}: {problem}")
        self.key = key


def load(path: Path) -> dict:
    """The overrides in `path`; a missing or empty file means none."""
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise OverrideError("(top level)", f"not valid YAML: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise OverrideError("(top level)", "must map signal keys to their overrides")
    return data


CONFIG_KEY = "_config"


def config(overrides: dict) -> Config:
    """The `_config` section: selectors and links that are not thresholds."""
    section = overrides.get(CONFIG_KEY) or {}
    if not isinstance(section, dict):
        raise OverrideError(CONFIG_KEY, f"must map settings ({', '.join(Config.keys())}) to strings")
    for name, value in section.items():
        if name not in Config.keys():
            raise OverrideError(f"{CONFIG_KEY}.{name}", f"no such setting; known: {', '.join(Config.keys())}")
        if not isinstance(value, str) or not value.strip():
            raise OverrideError(f"{CONFIG_KEY}.{name}", f"must be a non-empty string, not {value!r}")
        if '"' in value or "\n" in value:
            raise OverrideError(f"{CONFIG_KEY}.{name}", "must not contain a double quote or a newline")
    problem = absolute_url_problem(section.get("runbook_url_base", Config.runbook_url_base))
    if problem:
        raise OverrideError(f"{CONFIG_KEY}.runbook_url_base", problem)
    shared = set(Config.keys()) - set(system_settings())
    return Config(**{k: v for k, v in section.items() if k in shared},
                  systems={k: v for k, v in section.items() if k not in shared})


def apply(signals: list[Signal], overrides: dict) -> list[Signal]:
    by_key = {s.key: s for s in signals}
    for key, change in overrides.items():
        if key == CONFIG_KEY:
            continue
        if key not in by_key:
            close = difflib.get_close_matches(str(key), by_key, n=1)
            hint = f"did you mean {close[0]}?" if close else "keys are in lookout/systems/*/signals.py"
            raise OverrideError(str(key), f"no such signal; {hint}")
        if not isinstance(change, dict) or not change:
            raise OverrideError(str(key), "must be a mapping such as {warning: 90}")
        by_key[key] = _override(by_key[key], change)
    return [by_key[s.key] for s in signals]


def _override(sig: Signal, change: dict) -> Signal:
    fields: dict = {}
    params = dict(sig.params)
    for name, value in change.items():
        path = f"{sig.key}.{name}"
        if name in LEVELS:
            if getattr(sig, name) is None:
                raise OverrideError(path, f"{sig.alert} has no {name} level to move")
            fields[name] = quantity(path, value, sig.unit)
        elif name in ("for_warning", "for_critical"):
            if getattr(sig, name.removeprefix("for_")) is None:
                raise OverrideError(path, f"{sig.alert} has no {name.removeprefix('for_')} level")
            if not isinstance(value, str) or not DURATION.match(value):
                raise OverrideError(path, f"must be a Prometheus duration such as 5m, not {value!r}")
            fields[name] = "" if value == "0" else value
        elif name in sig.params:
            params[name] = _param(path, sig.params[name], value, sig.unit)
        else:
            allowed = [*(lvl for lvl in LEVELS if getattr(sig, lvl) is not None),
                       *(f"for_{lvl}" for lvl in LEVELS if getattr(sig, lvl) is not None), *sig.params]
            raise OverrideError(path, f"not an overridable setting; {sig.key} has: {', '.join(allowed)}")
    result = dataclasses.replace(sig, **fields, params=params)
    _check_order(result, blame="warning" if "warning" in fields else "critical")
    return result


def _param(path: str, default, value, unit: str):
    if isinstance(default, dict):
        if not isinstance(value, dict):
            raise OverrideError(path, f"must be a mapping with keys among {', '.join(default)}")
        merged = dict(default)
        for k, v in value.items():
            if k not in default:
                raise OverrideError(f"{path}.{k}", f"unknown; expected one of {', '.join(default)}")
            merged[k] = None if v is None else quantity(f"{path}.{k}", v, unit)
        return merged
    return quantity(path, value, "")


def quantity(path: str, value, unit: str) -> float:
    """A number, or for byte/second/ratio signals a string with a unit: 80GiB, 5m, 90%."""
    if isinstance(value, bool):
        raise OverrideError(path, f"must be a number, not {value!r}")
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise OverrideError(path, f"must be a finite number, not {value!r}")
        return value
    if isinstance(value, str):
        m = _QUANTITY.match(value)
        scales = {"bytes": _BYTES, "s": UNIT_SECONDS, "percentunit": {"%": 0.01}}.get(unit, {})
        if m and m.group(2) in scales:
            number = float(m.group(1)) * scales[m.group(2)]
            return int(number) if number.is_integer() else number
        hint = f" (or one with a unit among {', '.join(scales)})" if scales else ""
        raise OverrideError(path, f"must be a number{hint}, not {value!r}")
    raise OverrideError(path, f"must be a number, not {value!r}")


def _check_order(sig: Signal, blame: str) -> None:
    if sig.warning is None or sig.critical is None:
        return
    worse = sig.critical > sig.warning if sig.direction == "above" else sig.critical < sig.warning
    if not worse:
        side = "past" if blame == "critical" else "short of"
        other = "warning" if blame == "critical" else "critical"
        raise OverrideError(f"{sig.key}.{blame}", f"must lie {side} {other} ({getattr(sig, other)}) for an"
                            f" alert that fires {sig.direction} its boundaries, not {getattr(sig, blame)}")
