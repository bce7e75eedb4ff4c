"""The per-system parts of the demo, found through the registry (lookout.systems), so the
shared demo names no system.

A system's `scenarios_module` (lookout/systems/<key>/scenarios.py) defines `SCENARIOS`, a
tuple of lookout.demo.scenario.Scenario. Its `demo_hooks_module` (lookout/systems/<key>/demo.py)
may define any of these, each optional:

    PROFILES: {profile name: {"thresholds": {...}, "window_floors": {...}, "settings": {...}}}
        its part of a demo profile (lookout/demo/profiles.py): operator threshold overrides
        (alert_rules/thresholds.yml format), recording rule -> least window in seconds, and
        settings its own demo target reads (`profile.settings[key]`).
    SERVICES: {service: (stop(stack), start(stack) -> bool)}
        what its scenarios stop (`Scenario.service`) in the native demo; start returns True
        when the service was down and runs again.
    remediation(stack) -> dict
        its part of lookout-remediate's demo configuration: "actions" (name -> action) and any
        settings section its actions read (such as the PM2 daemon's "pm2": {"home": ...}).

Either module may be absent: the system then has no scenarios, or needs no hooks. A hooks
module is data and small functions over the stack: it imports nothing from lookout.demo, so
lookout.demo.profiles can read it while it is being imported.
"""
from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

from lookout.systems import SYSTEMS, System


def optional_module(name: str) -> ModuleType | None:
    """The module `name`, or None where it does not exist (an error inside it still raises)."""
    try:
        spec = importlib.util.find_spec(name)
    except ModuleNotFoundError:  # its parent is a plain module (a one-file system): nothing below it
        return None
    return None if spec is None else importlib.import_module(name)


def hooks(system: System) -> ModuleType | None:
    return optional_module(system.demo_hooks_module)


def each(attr: str, systems: tuple[System, ...] = SYSTEMS) -> list[tuple[System, object]]:
    """(system, its hook `attr`) for every system that defines it, in registry order."""
    found = []
    for system in systems:
        module = hooks(system)
        if module is not None and hasattr(module, attr):
            found.append((system, getattr(module, attr)))
    return found


def merged(parts: list[tuple[System, dict]], what: str) -> dict:
    """The systems' dicts as one; a key two systems both define is an error naming both."""
    out: dict = {}
    owner: dict = {}
    for system, part in parts:
        for key, value in part.items():
            if key in out:
                raise ValueError(f"{what} {key!r} is defined by both {owner[key]} and {system.key}")
            out[key], owner[key] = value, system.key
    return out
