"""Old connections stuck while the server answers new ones (issue 12, case 3): the exporter
abandons the stuck ones and recovers within reconnect_max_backoff_seconds plus one scrape."""
from __future__ import annotations

import time

from lookout.devstack.freezing_proxy import FreezingProxy
from lookout.devstack.proc import ExporterProcess, scrape, wait_until

from .conftest import fds, nectar_config, threads

SLOT = 50000000


def test_stuck_pooled_connections_are_replaced_while_new_ones_work(mariadb, tmp_path):
    with FreezingProxy(mariadb.port) as proxy:
        exp = ExporterProcess("nectar", nectar_config(tmp_path / "c.yml", proxy.port), tmp_path).wait_ready()
        try:
            for _ in range(3):  # the pool now holds connections through the proxy
                assert scrape(exp.url, timeout_header=2)["nectar_up"] == 1
            base_threads = threads(exp.proc.pid)
            assert proxy.freeze_existing() >= 1
            frozen_at = time.monotonic()

            def fresh():
                t0 = time.monotonic()
                m = scrape(exp.url, timeout_header=2)
                assert time.monotonic() - t0 < 2.0  # every scrape still answers in time
                return m["nectar_up"] == 1 and m.get("nectar_chain_slot") == SLOT
            wait_until(fresh, timeout=30, interval=0.1, what="fresh data over new connections")
            recovery = time.monotonic() - frozen_at
            # The stuck calls time out with the scrape (1.5 s deadline), then at most
            # reconnect_max_backoff_seconds (1) and one scrape (2); generous for a loaded machine.
            assert recovery < 1.5 + 1 + 2 + 2, recovery
            for _ in range(20):
                assert scrape(exp.url, timeout_header=2)["nectar_up"] == 1
            assert threads(exp.proc.pid) <= base_threads + 4
            assert fds(exp.proc.pid) < 200
        finally:
            exp.stop()


def test_connections_stuck_in_the_greeting_do_not_outlive_the_outage(mariadb, tmp_path):
    """The outage: every connection, old or new, gets no answer (not even the server's greeting).
    Then new connections work again while those stay stuck forever."""
    with FreezingProxy(mariadb.port) as proxy:
        exp = ExporterProcess("nectar", nectar_config(tmp_path / "c.yml", proxy.port), tmp_path).wait_ready()
        try:
            assert scrape(exp.url, timeout_header=2)["nectar_up"] == 1
            proxy.stall_new(True)
            proxy.freeze_existing()
            for _ in range(10):
                t0 = time.monotonic()
                m = scrape(exp.url, timeout_header=2)
                assert time.monotonic() - t0 < 2.0
                assert m["nectar_up"] == 0
            proxy.stall_new(False)
            back_at = time.monotonic()
            wait_until(lambda: scrape(exp.url, timeout_header=2)["nectar_up"] == 1, timeout=30, interval=0.1,
                       what="nectar_up over new connections")
            assert time.monotonic() - back_at < 1 + 2 + 2  # backoff + one scrape, with slack
        finally:
            exp.stop()
