"""Era-correct block and slot numbers for the writer, from its own Cardano table (cardano.py).

A Shelley-era chain makes a block every 20 slots on average (active slot coefficient
0.05), so each new block lands 1-39 slots after the previous one. Byron's blocks sit on
consecutive 20-second slots. Block numbers at the eras' starts are not needed exactly;
they are estimated from the slot so the numbers look like mainnet's.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

from .cardano import ERAS, NETWORKS, Network

# Blocks Byron produced before Shelley on mainnet (block 4490511 was Shelley's first).
BYRON_BLOCKS = {"mainnet": 4490511, "preprod": 46000, "preview": 0}


def era_start_slot(net: Network, era: str) -> int:
    epoch = net.era_start_epochs.get(era)
    if epoch is None:
        raise ValueError(f"{net.name} has no {era} era (known: {', '.join(net.era_start_epochs)})")
    if epoch <= net.shelley_start_epoch:
        return epoch * net.byron_epoch_slots
    return net.shelley_start_slot + (epoch - net.shelley_start_epoch) * net.shelley_epoch_slots


def estimate_block(net: Network, slot: int) -> int:
    if slot < net.shelley_start_slot:
        return slot
    return BYRON_BLOCKS.get(net.name, 0) + (slot - net.shelley_start_slot) // 20


def slot_time(net: Network, slot: int) -> float:
    if slot < net.shelley_start_slot:
        return net.system_start + slot * net.byron_slot_seconds
    return net.shelley_start_time + (slot - net.shelley_start_slot)


@dataclass
class Block:
    block_no: int
    slot_no: int
    epoch_no: int
    era: str
    time: float
    hash: str


class Chain:
    """The next blocks after (block, slot), with the network's eras and epochs."""

    def __init__(self, network: str, block: int, slot: int, seed: int | None = None):
        self.net = NETWORKS[network]
        self.block, self.slot = block, slot
        self.rng = random.Random(seed)

    @classmethod
    def at_era(cls, network: str, era: str, seed: int | None = None) -> "Chain":
        if era not in ERAS:
            raise ValueError(f"unknown era {era!r} (known: {', '.join(ERAS)})")
        net = NETWORKS[network]
        slot = era_start_slot(net, era)
        return cls(network, estimate_block(net, slot), slot, seed)

    def next(self) -> Block:
        self.block += 1
        self.slot += 1 if self.slot < self.net.shelley_start_slot else self.rng.randint(1, 39)
        return Block(self.block, self.slot, self.net.epoch_of(self.slot), self.net.era_of(self.slot),
                     slot_time(self.net, self.slot), "%064x" % self.rng.getrandbits(256))
