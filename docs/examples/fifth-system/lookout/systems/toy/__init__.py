"""Toy queue: a job queue with an HTTP /stats endpoint (docs/adding-a-system.md's worked example)."""
from lookout.systems import System

SYSTEM = System(
    key="toy", display_name="Toy queue", port=9865,
    description="a job queue with a JSON /stats endpoint",
    demo_module="lookout.systems.toy.simulator",
    demo_config="lookout.systems.toy.target:start",
)
