"""TBURN's demo target: the TBURN simulator serving its real routes."""
from __future__ import annotations

from lookout.demo import configs
from lookout.systems import by_key


def start(stack) -> dict:
    system = by_key("tburn")
    url = stack.simulator(system.demo_target, system.demo_module, [])
    return configs.tburn(stack.profile, url)
