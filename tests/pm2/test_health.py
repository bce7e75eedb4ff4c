"""The sync server's health endpoint, served by a real Node app under the real PM2."""
import json
import time

import pytest

from lookout.devstack.proc import http_get, scrape, wait_until

from .conftest import write_config

TOKEN = "health-bearer-Tk7-91xq"


def control(pm2, **params) -> dict:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    status, _, body = http_get(f"{pm2.fleet['health_base']}/control?{query}")
    assert status == 200
    return json.loads(body)


@pytest.fixture
def health_exporter(pm2, exporter, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    control(pm2, mode="ok", delay_ms=0)
    exp = exporter(write_config(tmp_path / "pm2.yaml", pm2.home, health={
        "url": pm2.fleet["health_base"] + "/health", "timeout_seconds": 1.0,
        "bearer_token_file": str(token_file)}))
    yield exp
    control(pm2, mode="ok", delay_ms=0)


def test_health_values(pm2, health_exporter):
    control(pm2, queue=137, api_errors=12, successes=480, failures=6, last_ms=31500)
    m = scrape(health_exporter.url)
    # the token went to the endpoint (checked before our own unauthenticated GET below)
    assert control(pm2)["authorization"] == f"Bearer {TOKEN}"
    status, _, body = http_get(pm2.fleet["health_base"] + "/health")
    direct = json.loads(body)

    assert m["pm2_sync_health_up"] == 1
    assert m.get("lookout_collector_success", collector="health") == 1
    assert m["pm2_sync_queue_depth"] == 137
    assert m["pm2_sync_api_errors_total"] == 12
    assert m["pm2_sync_successes_total"] == 480
    assert m["pm2_sync_failures_total"] == 6
    assert m["pm2_sync_last_duration_seconds"] == 31.5  # lastDurationMs, in seconds
    assert m["pm2_sync_restart_count"] == direct["restartCount"]
    assert abs(m["pm2_sync_uptime_seconds"] - direct["uptime"]) < 2
    for metric, key in (("pm2_sync_heap_used_bytes", "heapUsed"), ("pm2_sync_heap_total_bytes", "heapTotal"),
                        ("pm2_sync_rss_bytes", "rss"), ("pm2_sync_external_bytes", "external")):
        assert 0.5 * direct["memory"][key] <= m[metric] <= 2 * direct["memory"][key], metric
    for s in m.all("pm2_sync_missing_fields_total"):
        assert s.value == 0, s.labels
    # and nowhere else
    assert TOKEN not in m.text and TOKEN not in health_exporter.logs()


def test_missing_fields_are_skipped_and_counted(pm2, health_exporter):
    control(pm2, mode="missing", queue=5)
    first = scrape(health_exporter.url)
    second = scrape(health_exporter.url)
    for m in (first, second):
        assert m["pm2_sync_health_up"] == 1
        assert m.get("lookout_collector_success", collector="health") == 1
        assert m.get("pm2_sync_queue_depth") is None
        assert m.get("pm2_sync_last_duration_seconds") is None
        assert m.get("pm2_sync_external_bytes") is None  # "n/a" is not a number
        assert m["pm2_sync_heap_used_bytes"] > 0  # present fields still come through
    for field in ("queue_depth", "last_sync_duration", "external"):
        assert second.get("pm2_sync_missing_fields_total", field=field) == \
            first.get("pm2_sync_missing_fields_total", field=field) + 1 >= 1, field
    assert second.get("pm2_sync_missing_fields_total", field="heap_used") == 0


@pytest.mark.parametrize("mode, reason, detail", [
    ({"mode": "slow", "delay_ms": 3000}, "timeout", "did not answer within"),
    ({"mode": "error"}, "http", "HTTP 500"),
    ({"mode": "garbage"}, "parse", "not JSON"),
])
def test_failure_fails_only_health(pm2, health_exporter, mode, reason, detail):
    control(pm2, **mode)
    start = time.monotonic()
    m = scrape(health_exporter.url, timeout_header=5)
    assert time.monotonic() - start < 4.5
    assert m["pm2_sync_health_up"] == 0
    assert m.get("lookout_collector_success", collector="health") == 0
    assert m.get("lookout_collector_errors_total", collector="health", reason=reason) == 1
    assert m.get("pm2_sync_queue_depth") is None
    # the daemon, the processes and the host are untouched, and so is pm2_up
    assert m["pm2_up"] == 1 and m["pm2_daemon_up"] == 1
    for collector in ("daemon", "processes", "host"):
        assert m.get("lookout_collector_success", collector=collector) == 1, collector
    assert detail in http_get(health_exporter.url + "/")[2]

    control(pm2, mode="ok", delay_ms=0)
    wait_until(lambda: scrape(health_exporter.url)["pm2_sync_health_up"] == 1, 10, what="health recovery")
