"""The ETH option tick collector: a Docker container writing to TimescaleDB (runbook 002)."""
from lookout.systems import System

SYSTEM = System(
    key="ticks", display_name="Tick collector", port=9862,
    description="ETH option ticks from Docker into TimescaleDB", runbooks=("002",),
    demo_module="lookout.systems.ticks.simulator",
    demo_config="lookout.systems.ticks.target:start",
)
