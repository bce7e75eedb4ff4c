"""Issue 22: the ping is never queued behind blocked statements, and a failure's reason
stays the same while the reconnect backoff paces it."""
from __future__ import annotations

import threading
import time

from lookout.devstack.proc import scrape, wait_until

from .conftest import write_config
from .test_tls import _config


def test_the_ping_answers_while_every_pooled_connection_waits_on_a_lock(mariadb, exporter, tmp_path):
    mariadb.execute("CREATE TABLE IF NOT EXISTS locked_blocks (slot_no BIGINT, block_no BIGINT)",
                    "DELETE FROM locked_blocks", "INSERT INTO locked_blocks VALUES (1, 1)", database="nectar")
    proc = exporter(write_config(tmp_path / "c.yml", mariadb, chain={"table": "locked_blocks"},
                                 database={"pool_size": 1}))
    assert scrape(proc.url)["nectar_up"] == 1
    holder = mariadb.root("nectar")
    release = threading.Event()

    def hold():
        with holder.cursor() as cur:
            cur.execute("LOCK TABLES locked_blocks WRITE")
            release.wait(30)
            cur.execute("UNLOCK TABLES")
    t = threading.Thread(target=hold, daemon=True)
    t.start()
    long_scrape = threading.Thread(target=lambda: scrape(proc.url, timeout_header=8), daemon=True)
    try:
        time.sleep(0.5)
        # A scraper with a long timeout is waiting on the lock (its chain statement holds the
        # pool's one connection); one with a short timeout does not join it and asks itself.
        long_scrape.start()
        time.sleep(0.5)
        for _ in range(2):
            m = scrape(proc.url, timeout_header=1.5)
            assert m["nectar_up"] == 1, proc.logs()
            assert m.get("lookout_collector_success", collector="chain") == 0
            # The uptime comes with the ping's answer (COM_STATISTICS), so a restart stays
            # visible while the data statements wait on the lock (issue 24).
            assert m.get("lookout_collector_success", collector="server") == 1, m.text
    finally:
        release.set()
        t.join(10)
        long_scrape.join(10)
        holder.close()
    wait_until(lambda: scrape(proc.url).get("lookout_collector_success", collector="chain") == 1,
               timeout=15, what="the chain collector back after the lock")


def test_a_wrong_ca_is_tls_on_every_scrape_while_backing_off(tls_db, exporter, tmp_path):
    path = _config(tmp_path, tls_db, "localhost", ssl_mode="verify_ca", ssl_ca=str(tls_db.other_ca),
                   reconnect_max_backoff_seconds=30)
    proc = exporter(path)
    for _ in range(4):
        m = scrape(proc.url)
    assert m["nectar_up"] == 0
    for collector in ("ping", "chain", "server"):
        assert m.get("lookout_collector_errors_total", collector=collector, reason="tls") == 4, (collector, m.text)
        assert m.get("lookout_collector_errors_total", collector=collector, reason="connection") in (None, 0)
