"""The TBURN mainnet Node service (runbook 004)."""
from lookout.systems import System

SYSTEM = System(
    key="tburn", display_name="TBURN", port=9864,
    description="the mainnet Node service, with JSON status endpoints", runbooks=("004",),
    demo_module="lookout.systems.tburn.simulator",
    demo_config="lookout.systems.tburn.target:start",
)
