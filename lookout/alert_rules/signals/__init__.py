"""Every signal of the alert catalog, one module per system of the registry (its
`signals_module`, lookout/systems/), and this package's `exporter` module for the exporters' own.

Each module defines SIGNALS (defaults, before the operator's overrides),
recording_rules(signal) -> list of {record, expr} built from the effective signals, and
conditions(signal, severity, boundary) -> a custom alert expression or None.
"""
from __future__ import annotations

from importlib import import_module

from lookout.systems import SELF_SYSTEM, SYSTEMS

MODULES = {**{s.key: import_module(s.signals_module) for s in SYSTEMS},
           SELF_SYSTEM: import_module(f"{__name__}.{SELF_SYSTEM}")}
