"""Chain progress: the highest indexed slot and block, their era and epoch, and the lag."""
from __future__ import annotations

import time

from lookout.exporters.runtime import Collector, Deadline, MetricSet
from lookout.exporters.runtime.metrics import Gauge, StateSet

from .config import ChainConfig
from .eras import ERAS, NETWORKS

TYPE_CHECKING = False  # typing's own flag, without importing typing (issue 24: start-up)
if TYPE_CHECKING:  # the driver is imported by build(), after the configuration is read
    from .db import Database


def _quote(identifier: str) -> str:
    return ".".join(f"`{part}`" for part in identifier.split("."))


SLOT = Gauge("chain_slot", "Highest slot indexed by Nectar.")
BLOCK = Gauge("chain_block", "Highest block number indexed by Nectar.")
TIP = Gauge("chain_tip_slot", "Slot the chain's tip is at by the wall clock.")
LAG = Gauge("chain_lag_slots", "Wall-clock tip slot minus the highest indexed slot.")
EPOCH = Gauge("chain_epoch", "Epoch of the highest indexed slot.")
ERA = StateSet("chain_era", "Era of the highest indexed slot.", states=ERAS)
ERA_INDEX = Gauge("chain_era_index", "Era of the highest indexed slot as a number (0 byron ... 6 conway).")

class ChainCollector(Collector):
    name = "chain"
    metrics = (SLOT, BLOCK, TIP, LAG, EPOCH, ERA, ERA_INDEX,)

    def __init__(self, db: Database, cfg: ChainConfig):
        self.db = db
        self.network = NETWORKS[cfg.network]
        # ORDER BY ... DESC LIMIT 1 walks the slot index backwards one row; no scan.
        self.sql = (f"SELECT {_quote(cfg.slot_column)}, {_quote(cfg.block_column)} FROM {_quote(cfg.table)} "
                    f"ORDER BY {_quote(cfg.slot_column)} DESC LIMIT 1")

    def collect(self, out: MetricSet, deadline: Deadline) -> None:
        rows = self.db.query(self.sql, deadline)
        slot, block = (int(rows[0][0] or 0), int(rows[0][1] or 0)) if rows else (0, 0)
        tip = self.network.tip_slot(time.time())
        era = self.network.era_of(slot)
        out.add(SLOT, slot)
        out.add(BLOCK, block)
        out.add(TIP, tip)
        out.add(LAG, max(tip - slot, 0))
        out.add(EPOCH, self.network.epoch_of(slot))
        out.add(ERA, era)
        out.add(ERA_INDEX, ERAS.index(era))

    def close(self) -> None:
        # The chain collector is always configured, so it owns the pool the others share.
        self.db.close()
