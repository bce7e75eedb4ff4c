"""The demo writer keeps its own Cardano facts and Nectar's real log formats.

Two independent tables must agree: the writer's (lookout/simulators/nectar_writer/cardano.py)
and the exporter's (lookout/exporters/nectar/eras.py); a mistake in either shows here.
"""
import pytest

from lookout.exporters.nectar import eras as exporter_eras
from lookout.exporters.nectar.reconnects import EpisodeCounter
from lookout.simulators.nectar_writer import cardano
from lookout.simulators.nectar_writer.writer import NectarLog


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
