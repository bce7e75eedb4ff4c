"""The golden `/metrics` files are what the exporters render today from the recorded answers
(regenerate: `python -m tests.golden`), every recorded answer names the application file it
mirrors, and a few values read as TBURN's source defines them (the expected values come from
the recorded answer and the application's units, not from the exporter)."""
from __future__ import annotations

import asyncio
import re

import pytest
from prometheus_client.parser import text_string_to_metric_families

from . import HERE
from . import nectar, pm2, tburn, ticks
from .__main__ import EXPORTERS


@pytest.mark.parametrize("module", EXPORTERS, ids=lambda m: m.NAME)
def test_golden_metrics_are_up_to_date(module):
    golden = HERE / f"{module.NAME}.prom"
    assert golden.read_text() == asyncio.run(module.render()), \
        f"{golden.name} is stale: run `python -m tests.golden` and review the diff"


@pytest.mark.parametrize("module", EXPORTERS, ids=lambda m: m.NAME)
def test_every_recorded_answer_names_the_file_it_mirrors(module):
    sources = module.sources()
    assert sources
    for name, s in sources.items():
        assert re.fullmatch(rf"{module.REPO}@[0-9a-f]{{40}}:(\S+\.(ts|js|go|py|yml)|\S*Dockerfile)", s["mirrors"]), (name, s)
        assert (module.folder() / s["file"]).is_file(), name


def samples(text: str) -> dict:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for fam in text_string_to_metric_families(text) for s in fam.samples}


@pytest.fixture(scope="module")
def tburn_now() -> str:
    """The TBURN exporter's /metrics rendered now (not the committed golden file)."""
    return asyncio.run(tburn.render())


def test_tburn_every_collector_reads_its_recorded_answer(tburn_now):
    got = samples(tburn_now)
    success = {dict(k[1])["collector"]: v for k, v in got.items() if k[0] == "lookout_collector_success"}
    assert success and set(success.values()) == {1.0}, success
    assert got[("tburn_up", ())] == 1.0


def test_tburn_values_mean_what_tburn_means(tburn_now):
    got = samples(tburn_now)
    answers = tburn.answers()
    http = answers["system_health"]["data"]["http"]
    # system-health-routes.ts: errorRate is a percent, p99 in milliseconds.
    assert got[("tburn_error_ratio", ())] == pytest.approx(http["errorRate"] / 100)
    assert got[("tburn_latency_p99_seconds", ())] == pytest.approx(http["responseTime"]["p99"] / 1000)
    # pipeline-routes.ts: isRunning is a boolean.
    assert got[("tburn_pipeline_running", ())] == float(answers["pipeline"]["data"]["isRunning"])


@pytest.fixture(scope="module")
def pm2_now() -> str:
    return asyncio.run(pm2.render())


def test_pm2_every_collector_reads_its_recorded_answer(pm2_now):
    got = samples(pm2_now)
    success = {dict(k[1])["collector"]: v for k, v in got.items() if k[0] == "lookout_collector_success"}
    assert success == {"processes": 1.0, "health": 1.0, "sync_stats": 1.0, "sync_log": 1.0}
    assert got[("pm2_up", ())] == 1.0


def test_pm2_values_mean_what_pm2_and_the_sync_server_mean(pm2_now):
    got = samples(pm2_now)
    sync = (("name", "rss-sync-server"), ("pm_id", "0"))
    # PM2's monit.cpu is a percent of one core; pm_uptime is epoch milliseconds.
    assert got[("pm2_process_cpu_ratio", sync)] == pytest.approx(0.032)
    assert got[("pm2_process_start_time_seconds", sync)] == 1_767_225_600
    # @pm2/io's heap figures are MiB strings; ecosystem.config.js's 256M limit arrives in bytes.
    assert got[("pm2_process_heap_used_bytes", sync)] == pytest.approx(41.23 * 2**20)
    assert got[("pm2_process_memory_limit_bytes", sync)] == 256 * 2**20
    # A 503 carrying the health JSON is an answer (sync-health-check.js), not an outage.
    assert got[("pm2_sync_health_status", (("pm2_sync_health_status", "unhealthy"),))] == 1.0
    # bidirectional-sync.js: two "Sync completed in Nms" lines, the longer 3610 ms; one failed batch.
    assert got[("pm2_sync_completed_total", ())] == 2
    assert got[("pm2_sync_last_duration_seconds", ())] == 3.61
    assert got[("pm2_sync_api_errors_total", ())] == 1


@pytest.fixture(scope="module")
def nectar_now() -> str:
    return asyncio.run(nectar.render())


def test_nectar_every_collector_reads_its_recorded_answer(nectar_now):
    got = samples(nectar_now)
    success = {dict(k[1])["collector"]: v for k, v in got.items() if k[0] == "lookout_collector_success"}
    assert success == dict.fromkeys(("ping", "chain", "server", "processlist", "logfile", "app"), 1.0)
    assert got[("nectar_up", ())] == 1.0
    # every recorded statement was asked for: none is left over from an older exporter
    recorded = nectar.RecordedTiDB.recorded
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


@pytest.fixture(scope="module")
def ticks_now() -> str:
    return asyncio.run(ticks.render())


def test_ticks_every_collector_reads_its_recorded_answer(ticks_now):
    got = samples(ticks_now)
    success = {dict(k[1])["collector"]: v for k, v in got.items() if k[0] == "lookout_collector_success"}
    assert success == dict.fromkeys(("ping", "table_eth_option_quotes", "table_eth_option_trades",
                                     "containers", "logs"), 1.0)
    recorded = ticks.RecordedTimescale.recorded
    assert set(recorded.asked) == set(recorded.answers)


def test_ticks_values_mean_what_the_collector_and_docker_mean(ticks_now):
    got = samples(ticks_now)
    c = ("container", ticks.CONTAINER)
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
