"""The toy queue's demo target: its simulator, and the exporter pointed at it."""
from __future__ import annotations

from lookout.demo.configs import runtime_settings
from lookout.systems import by_key


def start(stack) -> dict:
    system = by_key("toy")
    url = stack.simulator(system.demo_target, system.demo_module, [])
    return {**runtime_settings(stack.profile), "base_url": url}
