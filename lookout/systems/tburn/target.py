"""TBURN's demo target: the TBURN simulator serving its real routes."""
from __future__ import annotations

from lookout.demo import configs
from lookout.systems import by_key

from .demo import COOKIE


def start(stack) -> dict:
    system = by_key("tburn")
    # The shedder's 30 s of degraded mode after its last trigger is a time, so the fast profile
    # compresses it like TburnRequestShedding's 2m `for`: otherwise a mended heap fault leaves
    # it degraded ten times longer than the alert's compressed `for` and its hold-down.
    args = ["--degraded-seconds", f"{30 / stack.profile.time_factor:g}"] if stack.profile.compressed else []
    url = stack.simulator(system.demo_target, system.demo_module, args)
    # The shard routes are opt-in: on a real TBURN the first request to them starts its
    # simulated shard orchestrator (docs/exporters/tburn.md); the demo's simulator has none
    # to start, and the demo shows their alerts.
    return {**configs.runtime_settings(stack.profile), "base_url": url, "auth": {"cookie": COOKIE},
            "endpoints": {"circuit_breakers": {"enabled": True}, "shards": {"enabled": True}}}
