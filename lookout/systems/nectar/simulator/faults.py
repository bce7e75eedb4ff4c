"""The Nectar writer's faults: what can go wrong with an indexer and its database."""
from __future__ import annotations

from lookout.simulators.common import FaultSpec, Param

FAULTS = (
    FaultSpec("stall", "Indexing stops; the connection stays open (a hung indexer).", {}),
    FaultSpec("slow", "Indexing slows down to a trickle.", {
        "blocks_per_second": Param(float, 20.0, "pace while slow", minimum=0.0)}),
    FaultSpec("db-lost", "The writer loses its database connection and cannot get it back "
                         "(TiDB itself stays up): ConnectionRecovery retries, then gives up.", {}),
    FaultSpec("drop-blocks", "A block worker fails a block with an error it does not retry (a constraint) and "
              "moves on: the block is not indexed, and the worker logs it as main.go does to unified_errors.log. "
              "The first at once, then one every `every_seconds`.", {
        "every_seconds": Param(float, 600.0, "seconds between dropped blocks", minimum=1.0)}),
)
