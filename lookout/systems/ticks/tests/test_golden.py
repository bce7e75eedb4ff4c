"""The tick exporter rendered from the recorded answers reads each value as the collector and
Docker define it (expected values from the recorded answers and the applications' sources)."""
from __future__ import annotations

import pytest

from tests.golden import samples

from . import golden


@pytest.fixture(scope="module")
def ticks_now() -> str:
    return golden.render()


def test_ticks_every_collector_reads_its_recorded_answer(ticks_now):
    got = samples(ticks_now)
    success = {dict(k[1])["collector"]: v for k, v in got.items() if k[0] == "lookout_collector_success"}
    assert success == dict.fromkeys(("ping", "table_eth_option_quotes", "table_eth_option_trades",
                                     "containers", "logs"), 1.0)
    recorded = golden.RecordedTimescale.recorded
    assert set(recorded.asked) == set(recorded.answers)


def test_ticks_values_mean_what_the_collector_and_docker_mean(ticks_now):
    got = samples(ticks_now)
    c = ("container", golden.CONTAINER)
    # 23,850 rows in the 300 s window: 4,770 a minute; an empty table is infinitely stale.
    assert got[("ticks_table_ticks_per_minute", (("table", "eth_option_quotes"),))] == 4770
    assert got[("ticks_table_last_tick_age_seconds", (("table", "eth_option_trades"),))] == float("inf")
    # Docker: the Dockerfile's HEALTHCHECK failing, RestartCount, and memory as `docker stats`
    # shows it on cgroup v2 (usage minus inactive_file) against the compose file's 2G limit.
    assert got[("ticks_container_health", (c, ("ticks_container_health", "unhealthy")))] == 1.0
    assert got[("ticks_container_restarts_total", (c,))] == 3
    assert got[("ticks_container_memory_usage_bytes", (c,))] == 1_288_490_188 - 150_994_944
    assert got[("ticks_container_memory_limit_bytes", (c,))] == 2 * 2**30
    # ws_tick_collector.py's lines: one reconnect, two ERRORs, the last STATS line's figures;
    # tick_writer.py's "Failed to write 480 quotes after 3 attempts": 480 quotes lost.
    assert got[("ticks_log_events_total", (c, ("event", "reconnect")))] == 1
    assert got[("ticks_log_events_total", (c, ("event", "error")))] == 2
    assert got[("ticks_collector_rows_lost_total", (c, ("kind", "quotes")))] == 480
    assert got[("ticks_log_reported_ticks", (c,))] == 24_120
    assert got[("ticks_collector_buffer_utilization_ratio", (("buffer", "quotes"), c))] == pytest.approx(0.974)
    assert got[("ticks_collector_no_tick_warnings_total", (c,))] == 1
