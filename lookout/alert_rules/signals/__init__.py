"""Every signal of the alert catalog, one module per system (see alert_rules/settings.SYSTEMS).

Each module defines SIGNALS (defaults, before the operator's overrides),
recording_rules(signal) -> list of {record, expr} built from the effective signals, and
conditions(signal, severity, boundary) -> a custom alert expression or None.
"""
from __future__ import annotations

from importlib import import_module

from ..settings import SYSTEMS

MODULES = {system: import_module(f"{__name__}.{system}") for system in SYSTEMS}
