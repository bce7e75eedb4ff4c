"""The sync server's own endpoints and log lines, from a real Node app under the real PM2.

The app (apps/sync-server.js) answers with the shapes of shayonpal/rss-news-reader:
server/lib/sync-health-check.js (the health body; 503 when unhealthy), server/server.js
(/server/sync/stats, the sync_queue_stats row) and server/services/bidirectional-sync.js
(the log lines). Expected values come from what the test sets, not from the exporter.
"""
import json
import time
from datetime import datetime

import pytest

from lookout.devstack.proc import http_get, scrape, wait_until

from .conftest import write_config

TOKEN = "health-bearer-Tk7-91xq"


def control(pm2, **params) -> dict:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    status, _, body = http_get(f"{pm2.fleet['health_base']}/control?{query}")
    assert status == 200
    return json.loads(body)


GREEN = dict(mode="ok", delay_ms=0, status="healthy", database="healthy", oauth="healthy", sync_queue="healthy")


@pytest.fixture
def health_exporter(pm2, exporter, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    control(pm2, **GREEN)
    exp = exporter(write_config(tmp_path / "pm2.yaml", pm2.home, health={
        "url": pm2.fleet["health_base"] + "/server/health", "timeout_seconds": 1.0,
        "bearer_token_file": str(token_file)}))
    yield exp
    control(pm2, **GREEN)


def test_health_values(pm2, health_exporter):
    control(pm2, error_count=7, last_activity="2026-01-13T10:00:05.250Z", pending=137, retry=9, failed=4)
    m = scrape(health_exporter.url)
    # the token went to the endpoint (checked before our own unauthenticated GET below)
    assert control(pm2)["authorization"] == f"Bearer {TOKEN}"
    direct = json.loads(http_get(pm2.fleet["health_base"] + "/server/health")[2])

    assert m.get("lookout_collector_success", collector="health") == 1
    assert m.get("pm2_sync_health_status", pm2_sync_health_status="healthy") == 1
    assert sum(s.value for s in m.all("pm2_sync_health_status")) == 1
    for dep in ("database", "oauth", "sync_queue"):
        assert m.get("pm2_sync_dependency_status", dependency=dep, pm2_sync_dependency_status="healthy") == 1
    assert m["pm2_sync_recent_errors"] == 7
    assert m["pm2_sync_last_activity_timestamp_seconds"] == \
        datetime.fromisoformat("2026-01-13T10:00:05.250+00:00").timestamp()
    assert abs(m["pm2_sync_uptime_seconds"] - direct["uptime"]) < 2
    # /server/sync/stats
    assert m["pm2_sync_queue_pending"] == 137
    assert m["pm2_sync_queue_retry_pending"] == 9
    assert m["pm2_sync_queue_failed"] == 4
    assert m.get("lookout_collector_success", collector="sync_stats") == 1
    assert not [s for s in m.all("lookout_collector_fields_missing_total") if s.labels["exporter"] == "pm2"]
    # and nowhere else
    assert TOKEN not in m.text and TOKEN not in health_exporter.logs()


def test_unhealthy_503_is_an_answer(pm2, health_exporter):
    """server.js answers 503 with the health JSON when a dependency is unhealthy."""
    control(pm2, status="unhealthy", database="unhealthy", oauth="degraded")
    assert http_get(pm2.fleet["health_base"] + "/server/health")[0] == 503
    m = scrape(health_exporter.url)
    assert m.get("lookout_collector_success", collector="health") == 1
    assert m.get("pm2_sync_health_status", pm2_sync_health_status="unhealthy") == 1
    assert m.get("pm2_sync_dependency_status", dependency="database", pm2_sync_dependency_status="unhealthy") == 1
    assert m.get("pm2_sync_dependency_status", dependency="oauth", pm2_sync_dependency_status="degraded") == 1
    assert m.get("pm2_sync_dependency_status", dependency="sync_queue", pm2_sync_dependency_status="healthy") == 1


def test_missing_fields_are_skipped_and_counted(pm2, health_exporter):
    control(pm2, mode="missing")
    first = scrape(health_exporter.url)
    second = scrape(health_exporter.url)
    for m in (first, second):
        assert m.get("lookout_collector_success", collector="health") == 1
        assert m.get("pm2_sync_last_activity_timestamp_seconds") is None
        assert m.get("pm2_sync_uptime_seconds") is None  # "n/a" is not a number
        assert m.get("pm2_sync_dependency_status", dependency="oauth", pm2_sync_dependency_status="healthy") is None
        assert m.get("pm2_sync_health_status", pm2_sync_health_status="healthy") == 1  # the rest comes through
    missing = dict(exporter="pm2", collector="health")
    for field in ("lastActivity", "uptime", "oauth"):
        assert second.get("lookout_collector_fields_missing_total", **missing, field=field) == \
            first.get("lookout_collector_fields_missing_total", **missing, field=field) + 1 >= 1, field
    assert second.get("lookout_collector_fields_missing_total", **missing, field="database") is None


def test_log_lines_from_the_apps_pm2_log_files(pm2, health_exporter):
    """bidirectional-sync.js lines, read from the files PM2 names in the process list."""
    base = scrape(health_exporter.url)
    errors0, completed0 = base["pm2_sync_api_errors_total"], base["pm2_sync_completed_total"]
    control(pm2, log_batch_failed=3)
    control(pm2, log_completed_ms=31500)
    control(pm2, log_completed_ms=800)
    m = wait_until(lambda: (lambda m: m if m["pm2_sync_completed_total"] == completed0 + 2
                            and m["pm2_sync_api_errors_total"] == errors0 + 3 else None)(scrape(health_exporter.url)),
                   10, what="the log lines counted")
    assert m["pm2_sync_last_duration_seconds"] == 31.5  # the longest run read by that scrape
    assert m.get("lookout_collector_success", collector="sync_log") == 1
    again = scrape(health_exporter.url)  # nothing new: counted once, duration kept
    assert again["pm2_sync_api_errors_total"] == errors0 + 3
    assert again["pm2_sync_last_duration_seconds"] == 31.5


@pytest.mark.parametrize("mode, reason, detail", [
    ({"mode": "slow", "delay_ms": 3000}, "timeout", "did not answer within"),
    ({"mode": "error"}, "http", "HTTP 500"),
    ({"mode": "bare503"}, "parse", "not JSON"),
    ({"mode": "garbage"}, "parse", "not JSON"),
])
def test_failure_fails_only_health(pm2, health_exporter, mode, reason, detail):
    control(pm2, **mode)
    start = time.monotonic()
    m = scrape(health_exporter.url, timeout_header=5)
    assert time.monotonic() - start < 4.5
    # the collector's own failure is the "no answer" SyncServerHealthDown reads; nothing restates it
    assert m.get("lookout_collector_success", collector="health") == 0
    assert m.get("pm2_sync_health_up") is None
    assert m.get("lookout_collector_errors_total", collector="health", reason=reason) == 1
    assert m.get("pm2_sync_health_status", pm2_sync_health_status="healthy") is None
    # the daemon, the processes, the queue stats and the host are untouched, and so is pm2_up
    assert m["pm2_up"] == 1 and m.get("pm2_daemon_up") is None
    for collector in ("processes", "sync_stats", "host"):
        assert m.get("lookout_collector_success", collector=collector) == 1, collector
    assert detail in http_get(health_exporter.url + "/")[2]

    control(pm2, mode="ok", delay_ms=0)
    wait_until(lambda: scrape(health_exporter.url).get("lookout_collector_success", collector="health") == 1,
               10, what="health recovery")
