"""Nectar, the Go Cardano indexer on TiDB (runbooks 000 and 001)."""
from lookout.systems import System

SYSTEM = System(
    key="nectar", display_name="Nectar", port=9861,
    description="a Go Cardano indexer on TiDB", runbooks=("000", "001"),
    demo_module="lookout.systems.nectar.simulator",
    demo_config="lookout.systems.nectar.target:start",
)
