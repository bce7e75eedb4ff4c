"""Chain progress, era, epoch and lag against known rows in a real MariaDB."""
import time

import pytest

from lookout.devstack.proc import promtool_check_metrics, scrape

from lookout.systems.nectar.exporter.eras import NETWORKS
from .conftest import write_config

ALONZO_FIRST_SLOT = 39916800  # mainnet epoch 290


@pytest.fixture(scope="module")
def rows(mariadb):
    mariadb.execute("DELETE FROM blocks", database="nectar")
    mariadb.execute(
        "INSERT INTO blocks (slot_no, block_no) VALUES (100, 1), (4492800, 4490511), "
        f"({ALONZO_FIRST_SLOT + 432000 * 3 + 5}, 6236100), (60549573, 7300000)",
        database="nectar")
    yield


def test_exact_chain_values(mariadb, rows, exporter, tmp_path):
    proc = exporter(write_config(tmp_path / "c.yml", mariadb))
    before = time.time()
    m = scrape(proc.url)
    after = time.time()
    assert m["nectar_up"] == 1
    assert m["nectar_chain_slot"] == 60549573
    assert m["nectar_chain_block"] == 7300000
    # 60549573 is in epoch 208 + (60549573 - 4492800) // 432000 = 337, the Alonzo era.
    assert m["nectar_chain_epoch"] == 337
    assert m.get("nectar_chain_era", nectar_chain_era="alonzo") == 1
    assert m.get("nectar_chain_era", nectar_chain_era="mary") == 0
    assert m["nectar_chain_era_index"] == 4
    tip_lo = 4492800 + int(before - 1596059091)
    tip_hi = 4492800 + int(after - 1596059091)
    assert tip_lo <= m["nectar_chain_tip_slot"] <= tip_hi
    assert m["nectar_chain_lag_slots"] == m["nectar_chain_tip_slot"] - 60549573
    assert promtool_check_metrics(m.text) == ""


def test_new_rows_are_seen_without_restart(mariadb, rows, exporter, tmp_path):
    proc = exporter(write_config(tmp_path / "c.yml", mariadb))
    assert scrape(proc.url)["nectar_chain_block"] == 7300000
    mariadb.execute("INSERT INTO blocks (slot_no, block_no) VALUES (60549600, 7300001)", database="nectar")
    m = scrape(proc.url)
    assert m["nectar_chain_block"] == 7300001 and m["nectar_chain_slot"] == 60549600
    mariadb.execute("DELETE FROM blocks WHERE block_no = 7300001", database="nectar")


def test_db_sync_style_table_name(mariadb, exporter, tmp_path):
    mariadb.execute("CREATE TABLE IF NOT EXISTS block (slot_no BIGINT, block_no BIGINT, KEY (slot_no))",
                    "DELETE FROM block", "INSERT INTO block VALUES (72316800, 8000000)", database="nectar")
    proc = exporter(write_config(tmp_path / "c.yml", mariadb, chain={"table": "block"}))
    m = scrape(proc.url)
    assert m["nectar_chain_block"] == 8000000
    assert m.get("nectar_chain_era", nectar_chain_era="babbage") == 1


def test_chain_query_rides_the_slot_index(mariadb, rows):
    from lookout.systems.nectar.exporter.chain import ChainCollector
    from lookout.systems.nectar.exporter.config import ChainConfig
    sql = ChainCollector(db=None, cfg=ChainConfig()).sql
    plan = mariadb.execute(f"EXPLAIN {sql}", database="nectar")
    # columns: id, select_type, table, type, possible_keys, key, key_len, ref, rows, Extra
    (row,) = plan
    assert row[5] == "idx_slot", plan
    assert "filesort" not in (row[9] or "").lower(), plan


def test_missing_table_fails_only_the_chain_collector(mariadb, exporter, tmp_path):
    proc = exporter(write_config(tmp_path / "c.yml", mariadb, chain={"table": "no_such_table"}))
    m = scrape(proc.url)
    assert m.get("lookout_collector_success", collector="chain") == 0
    assert m.get("lookout_collector_success", collector="server") == 1
    assert m.get("lookout_collector_errors_total", collector="chain", reason="query") == 1
    assert m["nectar_up"] == 1  # the server answers its ping: a bad query is not "down" (issue 12)
    assert m["nectar_database_uptime_seconds"] > 0


@pytest.mark.parametrize("network,slot,era,epoch", [
    ("mainnet", 0, "byron", 0),
    ("mainnet", 4492799, "byron", 207),
    ("mainnet", 4492800, "shelley", 208),
    ("mainnet", 39916799, "mary", 289),
    ("mainnet", 39916800, "alonzo", 290),
    ("mainnet", 72316800, "babbage", 365),
    ("mainnet", 133660800, "conway", 507),
    ("preprod", 86400, "shelley", 4),
    ("preview", 0, "alonzo", 0),
    ("preview", 3 * 86400, "babbage", 3),
])
def test_era_table(network, slot, era, epoch):
    net = NETWORKS[network]
    assert (net.era_of(slot), net.epoch_of(slot)) == (era, epoch)


def test_tip_slot_matches_mainnet_genesis():
    # 2020-07-29T21:44:51Z is the first Shelley slot, 4492800.
    assert NETWORKS["mainnet"].tip_slot(1596059091) == 4492800
    assert NETWORKS["mainnet"].tip_slot(1596059091 + 3600) == 4492800 + 3600
