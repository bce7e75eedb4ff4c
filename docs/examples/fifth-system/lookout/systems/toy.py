"""Toy queue: a job queue with an HTTP /stats endpoint (docs/adding-a-system.md's worked example)."""
from . import System

SYSTEM = System(
    key="toy", display_name="Toy queue", port=9865,
    description="a job queue with a JSON /stats endpoint",
    demo_module="lookout.simulators.toy",
    demo_config="lookout.demo.targets.toy:start",
)
