"""Cardano slot arithmetic: which era and epoch a slot is in, and the wall-clock tip.

Byron slots last 20 s in 21,600-slot epochs; from Shelley on, slots last 1 s. The
hard-fork epochs are network data, so they sit in a table rather than in code.
"""
from __future__ import annotations

from lookout.records import record

ERAS = ("byron", "shelley", "allegra", "mary", "alonzo", "babbage", "conway")


@record(frozen=True)
class Network:
    name: str
    system_start: int          # Unix time of slot 0
    shelley_start_epoch: int   # Byron epochs before Shelley (0: no Byron slots)
    shelley_epoch_slots: int
    era_start_epochs: dict     # era -> first epoch

    byron_epoch_slots: int = 21600
    byron_slot_seconds: int = 20

    @property
    def shelley_start_slot(self) -> int:
        return self.shelley_start_epoch * self.byron_epoch_slots

    @property
    def shelley_start_time(self) -> int:
        return self.system_start + self.shelley_start_slot * self.byron_slot_seconds

    def epoch_of(self, slot: int) -> int:
        if slot < self.shelley_start_slot:
            return slot // self.byron_epoch_slots
        return self.shelley_start_epoch + (slot - self.shelley_start_slot) // self.shelley_epoch_slots

    def era_of(self, slot: int) -> str:
        epoch = self.epoch_of(slot)
        current = ERAS[0]
        for era in ERAS:
            start = self.era_start_epochs.get(era)
            if start is not None and epoch >= start:
                current = era
        return current

    def tip_slot(self, now: float) -> int:
        """The slot the chain's tip should be at `now` (Unix time)."""
        if now < self.shelley_start_time:
            return max(int((now - self.system_start) // self.byron_slot_seconds), 0)
        return self.shelley_start_slot + int(now - self.shelley_start_time)


NETWORKS = {
    "mainnet": Network("mainnet", system_start=1506203091, shelley_start_epoch=208, shelley_epoch_slots=432000,
                       era_start_epochs={"byron": 0, "shelley": 208, "allegra": 236, "mary": 251,
                                         "alonzo": 290, "babbage": 365, "conway": 507}),
    "preprod": Network("preprod", system_start=1654041600, shelley_start_epoch=4, shelley_epoch_slots=432000,
                       era_start_epochs={"byron": 0, "shelley": 4, "allegra": 5, "mary": 6,
                                         "alonzo": 7, "babbage": 12, "conway": 163}),
    "preview": Network("preview", system_start=1666656000, shelley_start_epoch=0, shelley_epoch_slots=86400,
                       era_start_epochs={"alonzo": 0, "babbage": 3, "conway": 646}),
}
