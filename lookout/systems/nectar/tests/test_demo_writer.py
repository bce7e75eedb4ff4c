"""The demo writer keeps its own Cardano facts and Nectar's real log formats.

Two independent tables must agree: the writer's (lookout/systems/nectar/simulator/cardano.py)
and the exporter's (lookout/systems/nectar/exporter/eras.py); a mistake in either shows here.
"""
import pytest

from lookout.systems.nectar.exporter import eras as exporter_eras
from lookout.systems.nectar.exporter.reconnects import EpisodeCounter
from lookout.systems.nectar.simulator import cardano
from lookout.systems.nectar.simulator.writer import NectarLog


@pytest.mark.parametrize("network", sorted(cardano.NETWORKS))
def test_era_tables_agree(network):
    mine, theirs = cardano.NETWORKS[network], exporter_eras.NETWORKS[network]
    for slot in (0, 21599, 21600, 4492799, 4492800, 4492800 + 432000 * 28, 72316896, 133660800, 150_000_000):
        assert (mine.epoch_of(slot), mine.era_of(slot)) == (theirs.epoch_of(slot), theirs.era_of(slot)), slot


def test_mainnet_facts():
    # Shelley began at slot 4,492,800 (epoch 208), 2020-07-29T21:44:51Z.
    mainnet = cardano.NETWORKS["mainnet"]
    assert mainnet.shelley_start_slot == 4492800
    assert mainnet.shelley_start_time == 1596059091
    assert mainnet.era_of(4492800) == "shelley" and mainnet.era_of(4492799) == "byron"


def test_writer_log_lines_are_nectars(tmp_path):
    log = NectarLog(str(tmp_path / "out.log"), str(tmp_path / "unified_errors.log"))
    log.write("ERROR", "[ConnectionRecovery] Health check failed: connection refused")
    log.unified("Connection", "ConnectionRecovery", "Reconnect", "retry 1/10: connection refused")
    log.write("ERROR", "[ConnectionRecovery] Automatic recovery failed: failed to reconnect after 10 attempts")
    out = (tmp_path / "out.log").read_text().splitlines()
    unified = (tmp_path / "unified_errors.log").read_text().splitlines()
    # Go's log prefix; unified_error_system.go's "[ts.mmm] Type | Component.Operation | message".
    assert all(line[4] == "/" and line[19] == " " for line in out), out
    assert unified[0].startswith("[") and unified[0][24:] == \
        "] Connection | ConnectionRecovery.Reconnect | retry 1/10: connection refused"
    counter = EpisodeCounter()
    counter.feed_stdout(out)
    assert (counter.episodes, counter.giveups) == (1, 1)


def test_dropped_blocks_are_logged_as_nectars_worker_loop_does(tmp_path):
    """nectar 45d9dbda main.go: ProcessingError("BlockWorker", "Worker<id>", "failed to process
    block at slot N after K attempts: ..."), then "slot N: ..."; the exporter counts one drop each."""
    from lookout.simulators.common import FaultRegistry
    from lookout.systems.nectar.simulator.chain import Chain
    from lookout.systems.nectar.simulator.faults import FAULTS
    from lookout.systems.nectar.simulator.writer import DbParams, Writer

    faults = FaultRegistry(FAULTS)
    log = NectarLog(None, str(tmp_path / "unified_errors.log"))
    writer = Writer(DbParams("127.0.0.1", 1, "u", "p", "d"), Chain("mainnet", 1000, 5000, seed=1), faults, 50, log)
    faults.inject("drop-blocks", {"every_seconds": 3600})
    dropped = [writer._dropped(writer.chain.next()) for _ in range(5)]
    assert dropped == [True, False, False, False, False]  # the first at once, then one an hour
    lines = (tmp_path / "unified_errors.log").read_text().splitlines()
    assert len(lines) == 2
    assert " Processing | BlockWorker.Worker" in lines[0]
    assert "failed to process block at slot " in lines[0] and " after 1 attempts: " in lines[0]
    counter = EpisodeCounter()
    counter.feed_unified(lines)
    assert counter.dropped_blocks == 1 and counter.episodes == 0
