"""Cardano's own facts for the demo writer, kept apart from the exporter's table on purpose:
a wrong era table in the exporter must show as a wrong number against this one.

Sources: the networks' Byron and Shelley genesis files (systemStart, slot lengths, epoch
lengths) and the hard-fork epochs announced for each era (Cardano docs, "Cardano eras").
Byron: 20 s slots, 21,600-slot epochs; Shelley onwards: 1 s slots.
"""
from __future__ import annotations

from dataclasses import dataclass, field

ERAS = ("byron", "shelley", "allegra", "mary", "alonzo", "babbage", "conway")


@dataclass(frozen=True)
class Network:
    name: str
    system_start: int                       # Unix time of slot 0 (Byron genesis startTime)
    byron_epochs: int                       # epochs before the Shelley hard fork
    epoch_length: int                       # Shelley genesis epochLength (slots)
    forks: tuple[tuple[str, int], ...] = field(default=())   # (era, first epoch), in order
    byron_epoch_slots: int = 21600
    byron_slot_seconds: int = 20

    @property
    def era_start_epochs(self) -> dict:
        return dict(self.forks)

    @property
    def shelley_start_epoch(self) -> int:
        return self.byron_epochs

    @property
    def shelley_epoch_slots(self) -> int:
        return self.epoch_length

    @property
    def shelley_start_slot(self) -> int:
        return self.byron_epochs * self.byron_epoch_slots

    @property
    def shelley_start_time(self) -> int:
        return self.system_start + self.shelley_start_slot * self.byron_slot_seconds

    def epoch_of(self, slot: int) -> int:
        byron_slots = self.shelley_start_slot
        if slot < byron_slots:
            return slot // self.byron_epoch_slots
        return self.byron_epochs + (slot - byron_slots) // self.epoch_length

    def era_of(self, slot: int) -> str:
        epoch = self.epoch_of(slot)
        return [era for era, first in self.forks if epoch >= first][-1]


NETWORKS = {
    "mainnet": Network("mainnet", 1506203091, 208, 432000, (
        ("byron", 0), ("shelley", 208), ("allegra", 236), ("mary", 251),
        ("alonzo", 290), ("babbage", 365), ("conway", 507))),
    "preprod": Network("preprod", 1654041600, 4, 432000, (
        ("byron", 0), ("shelley", 4), ("allegra", 5), ("mary", 6),
        ("alonzo", 7), ("babbage", 12), ("conway", 163))),
    "preview": Network("preview", 1666656000, 0, 86400, (
        ("alonzo", 0), ("babbage", 3), ("conway", 646))),
}
