"""The TBURN mainnet Node service (runbook 004)."""
from . import System

SYSTEM = System(
    key="tburn", display_name="TBURN", port=9864,
    description="the mainnet Node service, with JSON status endpoints", runbooks=("004",),
    demo_module="lookout.simulators.tburn",
    demo_config="lookout.demo.targets.tburn:start",
)
