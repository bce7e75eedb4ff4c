"""Chain progress: the highest indexed slot and block, their era and epoch, and the lag."""
from __future__ import annotations

import time

from lookout.exporters.runtime import Collector, Deadline, MetricSet

from .config import ChainConfig
from .db import Database
from .eras import ERAS, NETWORKS


def _quote(identifier: str) -> str:
    return ".".join(f"`{part}`" for part in identifier.split("."))


class ChainCollector(Collector):
    name = "chain"

    def __init__(self, db: Database, cfg: ChainConfig):
        self.db = db
        self.network = NETWORKS[cfg.network]
        # ORDER BY ... DESC LIMIT 1 walks the slot index backwards one row; no scan.
        self.sql = (f"SELECT {_quote(cfg.slot_column)}, {_quote(cfg.block_column)} FROM {_quote(cfg.table)} "
                    f"ORDER BY {_quote(cfg.slot_column)} DESC LIMIT 1")

    async def collect(self, out: MetricSet, deadline: Deadline) -> None:
        rows = await self.db.query(self.sql, deadline)
        slot, block = (int(rows[0][0] or 0), int(rows[0][1] or 0)) if rows else (0, 0)
        tip = self.network.tip_slot(time.time())
        era = self.network.era_of(slot)
        out.gauge("chain_slot", "Highest slot indexed by Nectar.", slot)
        out.gauge("chain_block", "Highest block number indexed by Nectar.", block)
        out.gauge("chain_tip_slot", "Slot the chain's tip is at by the wall clock.", tip)
        out.gauge("chain_lag_slots", "Wall-clock tip slot minus the highest indexed slot.", max(tip - slot, 0))
        out.gauge("chain_epoch", "Epoch of the highest indexed slot.", self.network.epoch_of(slot))
        out.stateset("chain_era", "Era of the highest indexed slot.", ERAS, era)
        out.gauge("chain_era_index", "Era of the highest indexed slot as a number (0 byron ... 6 conway).",
                  ERAS.index(era))

    async def close(self) -> None:
        # The chain collector is always configured, so it owns the pool the others share.
        await self.db.close()
