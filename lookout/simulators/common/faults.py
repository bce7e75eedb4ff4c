"""A registry of named faults, each with typed parameters and an optional duration.

A simulator declares its faults as FaultSpecs; the control API and the CLI only ever
talk to the registry, and the state model asks it `get(name)` while computing what the
endpoints answer. Expiry is lazy: a fault past its duration is dropped on the next look.
"""
from __future__ import annotations

import math
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping


class FaultError(ValueError):
    """A request the registry refuses; `status` is the HTTP answer the control API gives."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Param:
    kind: type                      # float, int, str or list (of str; "a,b" also accepted)
    default: Any
    help: str = ""
    choices: tuple = ()
    minimum: float | None = None
    maximum: float | None = None

    def coerce(self, name: str, raw: Any) -> Any:
        if self.kind is list:
            items = raw.split(",") if isinstance(raw, str) else raw
            if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
                raise FaultError(f"{name}: expected a list of names")
            value: Any = [i.strip() for i in items if i.strip()]
            bad = [i for i in value if self.choices and i not in self.choices]
            if bad:
                raise FaultError(f"{name}: unknown {', '.join(bad)} (known: {', '.join(self.choices)})")
            return value
        if self.kind in (int, float):
            value = _number(name, raw, self.kind)
            if self.minimum is not None and value < self.minimum:
                raise FaultError(f"{name}: must be >= {self.minimum}, got {value}")
            if self.maximum is not None and value > self.maximum:
                raise FaultError(f"{name}: must be <= {self.maximum}, got {value}")
            return value
        if not isinstance(raw, str):
            raise FaultError(f"{name}: expected a string")
        if self.choices and raw not in self.choices:
            raise FaultError(f"{name}: must be one of {', '.join(self.choices)}, got {raw!r}")
        return raw

    def describe(self) -> dict:
        out = {"type": self.kind.__name__, "default": self.default, "help": self.help}
        if self.choices:
            out["choices"] = list(self.choices)
        return out


def _number(name: str, raw: Any, kind: type) -> int | float:
    if isinstance(raw, bool):
        raise FaultError(f"{name}: expected a number")
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise FaultError(f"{name}: expected a number, got {raw!r}") from None
    if not math.isfinite(value):
        raise FaultError(f"{name}: expected a finite number")
    if kind is int:
        if not value.is_integer():
            raise FaultError(f"{name}: expected a whole number, got {raw!r}")
        return int(value)
    return value


@dataclass(frozen=True)
class FaultSpec:
    name: str
    help: str
    params: Mapping[str, Param] = field(default_factory=dict)

    def describe(self) -> dict:
        return {"help": self.help, "params": {k: p.describe() for k, p in self.params.items()}}


@dataclass
class ActiveFault:
    spec: FaultSpec
    params: dict[str, Any]
    started: float
    until: float | None  # None: until cleared

    def __getitem__(self, key: str) -> Any:
        return self.params[key]

    def describe(self, now: float) -> dict:
        left = None if self.until is None else round(max(self.until - now, 0.0), 3)
        return {"name": self.spec.name, "params": self.params, "remaining_seconds": left}


_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(raw: Any) -> float | None:
    """Seconds from 30, "30", "30s", "500ms", "2m" or "1h"; None (or absent) is forever."""
    if raw is None:
        return None
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        seconds = float(raw)
    elif isinstance(raw, str) and (m := re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*", raw)):
        seconds = float(m[1]) * _UNITS[m[2] or "s"]
    else:
        raise FaultError(f"for: expected seconds or a duration like 30s, 2m, 500ms; got {raw!r}")
    if not math.isfinite(seconds) or seconds <= 0:
        raise FaultError("for: must be a positive duration")
    return seconds


class FaultRegistry:
    def __init__(self, specs: Iterable[FaultSpec], clock: Callable[[], float] = time.monotonic):
        self.specs = {s.name: s for s in specs}
        self.clock = clock
        self._active: dict[str, ActiveFault] = {}
        self._lock = threading.Lock()  # the CLI's tests may poke it from another thread

    def spec(self, name: str) -> FaultSpec:
        try:
            return self.specs[name]
        except KeyError:
            raise FaultError(f"unknown fault {name!r} (known: {', '.join(sorted(self.specs))})", 404) from None

    def inject(self, name: str, body: Mapping[str, Any] | None = None) -> ActiveFault:
        """Switch `name` on (replacing a running one) with {"for": ..., **params}."""
        spec = self.spec(name)
        body = dict(body or {})
        duration = parse_duration(body.pop("for", None))
        unknown = sorted(set(body) - set(spec.params))
        if unknown:
            known = ", ".join(spec.params) or "none"
            raise FaultError(f"{name}: unknown parameter {', '.join(unknown)} (known: {known})")
        params = {k: (p.coerce(k, body[k]) if k in body else p.default) for k, p in spec.params.items()}
        now = self.clock()
        fault = ActiveFault(spec, params, now, None if duration is None else now + duration)
        with self._lock:
            self._active[name] = fault
        return fault

    def clear(self, name: str) -> bool:
        self.spec(name)
        with self._lock:
            return self._active.pop(name, None) is not None

    def clear_all(self) -> int:
        with self._lock:
            n = len(self._active)
            self._active.clear()
            return n

    def get(self, name: str) -> ActiveFault | None:
        with self._lock:
            fault = self._active.get(name)
            if fault and fault.until is not None and self.clock() >= fault.until:
                del self._active[name]
                return None
            return fault

    def active(self) -> list[ActiveFault]:
        return [f for f in (self.get(n) for n in list(self._active)) if f is not None]

    def describe(self) -> dict:
        now = self.clock()
        return {"active": [f.describe(now) for f in self.active()],
                "available": {n: s.describe() for n, s in sorted(self.specs.items())}}
