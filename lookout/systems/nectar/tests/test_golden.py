"""Nectar's exporter rendered from the recorded answers reads each value as Nectar and Cardano
define it (expected values from the recorded answers and the applications' sources)."""
from __future__ import annotations

import pytest

from tests.golden import samples

from . import golden


@pytest.fixture(scope="module")
def nectar_now() -> str:
    return golden.render()


def test_nectar_every_collector_reads_its_recorded_answer(nectar_now):
    got = samples(nectar_now)
    success = {dict(k[1])["collector"]: v for k, v in got.items() if k[0] == "lookout_collector_success"}
    assert success == dict.fromkeys(("ping", "chain", "server", "processlist", "logfile", "app"), 1.0)
    assert got[("nectar_up", ())] == 1.0
    # every recorded statement was asked for: none is left over from an older exporter
    recorded = golden.RecordedTiDB.recorded
    assert set(recorded.asked) == set(recorded.answers)


def test_nectar_values_mean_what_nectar_and_cardano_mean(nectar_now):
    got = samples(nectar_now)
    # Cardano mainnet: Shelley began at slot 4,492,800 in epoch 208, 432,000 slots an epoch.
    assert got[("nectar_chain_epoch", ())] == 208 + (140_000_000 - 4_492_800) // 432_000
    assert got[("nectar_chain_era", (("nectar_chain_era", "conway"),))] == 1.0
    # Idle connections (Sleep) hold no statement: the oldest running one is the Query's 412 s.
    assert got[("nectar_processlist_oldest_query_seconds", ())] == 412
    # web/handlers.go: heapAlloc is MB (integer division), syncPercentage a percent.
    assert got[("nectar_app_heap_alloc_bytes", ())] == 401 * 2**20
    assert got[("nectar_app_sync_ratio", ())] == pytest.approx(0.9999967857)
    # One give-up on stdout (connection_recovery.go), one in unified_errors.log.
    assert got[("nectar_reconnect_giveups_total", ())] == 2
    # main.go: a block given up on ("failed to process block at slot N after 3 attempts").
    assert got[("nectar_blocks_dropped_total", ())] == 1
