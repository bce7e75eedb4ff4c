"""The ETH option tick collector: a Docker container writing to TimescaleDB (runbook 002)."""
from . import System

SYSTEM = System(
    key="ticks", display_name="Tick collector", port=9862,
    description="ETH option ticks from Docker into TimescaleDB", runbooks=("002",),
    demo_module="lookout.simulators.tick_writer",
    demo_config="lookout.demo.targets.ticks:start",
)
