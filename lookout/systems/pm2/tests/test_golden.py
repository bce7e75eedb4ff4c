"""The PM2 exporter rendered from the recorded answers reads each value as PM2 and the sync
server define it (expected values from the recorded answers and the applications' units)."""
from __future__ import annotations

import pytest

from tests.golden import samples

from . import golden


@pytest.fixture(scope="module")
def pm2_now() -> str:
    return golden.render()


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
