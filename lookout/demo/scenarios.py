"""The fault scenarios `lookout demo inject` knows, gathered from every system's
`lookout/systems/<key>/scenarios.py` in registry order: one table for both demos,
`lookout demo scenarios`, docs/demo.md and the end-to-end test (tests/e2e/test_stack.py, which
holds every scenario to its promise; lookout/demo/scenario.py says what a scenario promises).
How a step is carried out (HTTP to a simulator's /_sim API, stopping a service) is the
controller's business."""
from __future__ import annotations

from lookout.systems import SYSTEMS, System

from .hooks import optional_module
from .scenario import Scenario


def gather(systems: tuple[System, ...] = SYSTEMS) -> dict[str, Scenario]:
    """name -> Scenario over the registry, each system's in its order; a name two scenarios
    share is a ValueError naming both systems."""
    found: dict[str, Scenario] = {}
    for system in systems:
        module = optional_module(system.scenarios_module)
        for s in getattr(module, "SCENARIOS", ()):
            if s.name in found:
                raise ValueError(f"two scenarios are called {s.name!r} ({found[s.name].system}, {s.system})")
            found[s.name] = s
    return found


SCENARIOS = gather()

# The simulators a full recover clears: every system's demo target.
TARGETS = tuple(s.demo_target for s in SYSTEMS)

__all__ = ["SCENARIOS", "TARGETS", "Scenario", "gather"]
