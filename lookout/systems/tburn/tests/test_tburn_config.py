"""Configuration: errors name the key, JSON paths and scales are overridable, secrets stay secret."""
import json
import os
import subprocess
import sys

import pytest

from lookout.devstack.fuzz_body_server import Canned
from lookout.devstack.proc import ROOT, http_get, scrape

TOKEN = "tb-Bearer-7c1f2e9a44d0"
API_KEY = "tb-ApiKey-5b83e1d07f"


def check_config(tmp_path, text: str, env: dict | None = None) -> subprocess.CompletedProcess:
    path = tmp_path / "c.yml"
    path.write_text(text)
    return subprocess.run([sys.executable, "-m", "lookout.systems.tburn.exporter", "--check-config", "--config", str(path)],
                          cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})


@pytest.mark.parametrize("text,key", [
    ("base_urll: http://x\n", "base_urll"),
    ("base_url: ftp://host\n", "base_url"),
    ("base_url: http://host/?q=1\n", "base_url"),
    ("timeout_seconds: 0\n", "timeout_seconds"),
    ("max_concurrency: 0\n", "max_concurrency"),
    ("max_body_bytes: 10\n", "max_body_bytes"),
    ("endpoints: {db_pool: {fields: {idle: data.database.pool.idle}}}\n", "endpoints.db_pool.fields.idle"),
    ("endpoints: {pipeline: {scales: {running: 2}}}\n", "endpoints.pipeline.scales.running"),
    ("endpoints: {shards: {path: shards/count}}\n", "endpoints.shards.path"),
    ("endpoints: {health: {enabled: false}}\n", "endpoints.health.enabled"),
    ("endpoints: {nope: {}}\n", "endpoints.nope"),
    ("auth: {header_name: X-API-Key}\n", "auth.header_value"),
    ("auth: {bearer_token_file: /nonexistent/token}\n", "auth.bearer_token_file"),
    ("tls_ca_file: /nonexistent/ca.pem\n", "tls_ca_file"),
])
def test_bad_config_names_the_key(tmp_path, text, key):
    res = check_config(tmp_path, text)
    assert res.returncode == 2, res
    assert f"configuration error: {key}" in res.stderr, res.stderr


def test_bad_environment_override_names_the_variable(tmp_path):
    res = check_config(tmp_path, "", {"TBURN_ENDPOINTS__SHARDS__TIMEOUT_SECONDS": "soon"})
    assert res.returncode == 2
    assert "endpoints.shards.timeout_seconds" in res.stderr and "environment" in res.stderr


def test_good_config_lists_the_collectors(tmp_path):
    res = check_config(tmp_path, "endpoints: {pipeline: {enabled: false}}\n")
    assert res.returncode == 0, res.stderr
    # db_pool is off by default: TBURN never fills its pool block (docs/exporters/tburn.md);
    # circuit_breakers and shards too: reading them starts TBURN's simulated orchestrator.
    assert "5 collectors" in res.stdout and "pipeline" not in res.stdout and "db_pool" not in res.stdout
    assert "circuit_breakers" not in res.stdout and "shards" not in res.stdout


GUARDIAN_TEXT = """# HELP tburn_memory_guardian_heap_used_mb Current heap memory used in MB
# TYPE tburn_memory_guardian_heap_used_mb gauge
tburn_memory_guardian_heap_used_mb 332

# HELP tburn_memory_guardian_heap_ratio Current heap usage ratio
# TYPE tburn_memory_guardian_heap_ratio gauge
tburn_memory_guardian_heap_ratio 0.162

# HELP tburn_memory_guardian_cleanup_total Total cleanup operations
# TYPE tburn_memory_guardian_cleanup_total counter
tburn_memory_guardian_cleanup_total{level="soft"} 4
tburn_memory_guardian_cleanup_total{level="aggressive"} 0
"""


def _envelope(data) -> bytes:
    return json.dumps({"success": True, "data": data, "timestamp": 1736762400123}).encode()


def _serve_green(server):
    """TBURN's real shapes with our own values; each names the TburnChain file it mirrors."""
    bodies = {
        "/health": {"status": "ok"},
        # server/core/monitoring/system-health-routes.ts GET /metrics (percents, milliseconds)
        "/api/system-health/metrics": _envelope({
            "timestamp": 1736762400000,
            "memory": {"heap": {"used": 332, "total": 410, "usage": 81.0}},
            "process": {"pid": 12, "uptime": 5.5, "eventLoopLag": 12.5, "status": "normal"},
            "http": {"totalRequests": 100, "successCount": 99, "errorCount": 1, "errorRate": 16.2,
                     "responseTime": {"avg": 20, "p95": 90, "p99": 120}, "requestsPerSecond": 3},
            "database": {"pool": {"size": 10, "active": 2, "idle": 8, "waiting": 0, "usage": 20}},
        }),
        # server/services/memory-guardian.ts getPrometheusMetrics()
        "/api/memory/guardian/prometheus": GUARDIAN_TEXT.encode(),
        # server/routes/sharding-routes.ts GET /v6/metrics (memory-governor.ts, request-shedder.ts)
        "/api/sharding/v6/metrics": _envelope({
            "pipeline": {},
            "memoryGovernor": {"currentState": "normal", "hibernatedShardCount": 0, "lastGcAt": 1736762400000},
            "requestShedder": {"isDegradedMode": False, "eventLoopLagMs": 3, "totalSheddedRequests": 3},
        }),
        # sharding-routes.ts GET /circuit-breakers
        "/api/sharding/circuit-breakers": _envelope({"total": 2, "closed": 1, "open": 0, "halfOpen": 1, "shards": [
            {"shardId": 0, "state": "CLOSED"}, {"shardId": 1, "state": "HALF_OPEN"}]}),
        # server/routes/pipeline-routes.ts GET /stats: realtime-block-pipeline.ts getStats()
        # (TburnChain a52569cc), a running pipeline whose last block is 1.5 s old.
        "/api/pipeline/stats": _envelope({
            "isRunning": True, "currentBlockNumber": 120, "blocksProduced": 120, "transactionsProcessed": 6e6,
            "currentTPS": 51000, "averageTPS": 50000, "peakTPS": 60000, "uptime": 120.0,
            "lastBlockTime": 1736762400123 - 1500, "blocksPerSecond": 1}),
        # sharding-routes.ts GET /status
        "/api/sharding/status": _envelope({"shardCount": 32, "activeShards": 32, "degradedShards": 0}),
    }
    for path, body in bodies.items():
        server.set(path, Canned(body if isinstance(body, bytes) else json.dumps(body).encode()))


def test_values_arrive_in_base_units(fuzz_server, exporter, write_config, tmp_path):
    _serve_green(fuzz_server)
    m = scrape(exporter(write_config(tmp_path / "c.yml", fuzz_server.url)).url)
    assert m["tburn_error_ratio"] == pytest.approx(0.162)        # errorRate is a percent
    assert m["tburn_latency_p99_seconds"] == pytest.approx(0.12)
    assert m["tburn_heap_ratio"] == pytest.approx(0.162)         # the guardian's own 0..1 ratio
    assert m["tburn_heap_used_bytes"] == 332 * 2**20
    assert m["tburn_last_gc_timestamp_seconds"] == 1736762400    # epoch ms
    assert m["tburn_event_loop_lag_seconds"] == pytest.approx(0.0125)
    assert m["tburn_uptime_seconds"] == 5.5
    assert m["tburn_degraded_mode"] == 0
    assert m["tburn_requests_shed_total"] == 3
    assert m.get("tburn_memory_governor_state", tburn_memory_governor_state="normal") == 1
    assert m.get("tburn_circuit_breaker_state", shard="0", tburn_circuit_breaker_state="closed") == 1
    assert m.get("tburn_circuit_breaker_state", shard="1", tburn_circuit_breaker_state="half_open") == 1
    assert m["tburn_shards"] == 32
    assert m["tburn_pipeline_running"] == 1
    assert m["tburn_pipeline_healthy"] == 1
    assert m["tburn_pipeline_last_block_age_seconds"] == pytest.approx(1.5)
    assert not m.all("lookout_collector_fields_missing_total")
    # The pool block is constant in TBURN: nothing reads it unless configured.
    assert m.get("tburn_db_pool_available_connections") is None


def test_null_last_gc_is_absence_not_an_error(fuzz_server, exporter, write_config, tmp_path):
    _serve_green(fuzz_server)
    # memory-governor.ts: lastGcAt is null until the governor has run a GC.
    fuzz_server.set("/api/sharding/v6/metrics", Canned(_envelope({"memoryGovernor": {
        "currentState": "deferred", "hibernatedShardCount": 2, "lastGcAt": None}})))
    m = scrape(exporter(write_config(tmp_path / "c.yml", fuzz_server.url)).url)
    assert m.get("tburn_last_gc_timestamp_seconds") is None
    assert m.get("lookout_collector_fields_missing_total", exporter="tburn", collector="memory_governor",
                 field="last_gc") is None  # null is no value yet, not a missing field
    assert m.get("tburn_memory_governor_state", tburn_memory_governor_state="deferred") == 1
    assert m["tburn_hibernated_shards"] == 2


def test_unauthorised_is_reported_as_authentication_required(fuzz_server, exporter, write_config, tmp_path):
    _serve_green(fuzz_server)
    # server/routes.ts requireAuth: res.status(401).json({ error: "Unauthorized" })
    fuzz_server.set("/api/pipeline/stats", Canned(b'{"error":"Unauthorized"}', status=401))
    proc = exporter(write_config(tmp_path / "c.yml", fuzz_server.url))
    m = scrape(proc.url)
    assert m["tburn_up"] == 1
    assert m.get("lookout_collector_errors_total", collector="pipeline", reason="auth") == 1
    assert not m.get("lookout_collector_errors_total", collector="pipeline", reason="http")
    assert "authentication required" in http_get(proc.url + "/")[2] + proc.logs()


def test_success_false_envelope_fails_the_collector(fuzz_server, exporter, write_config, tmp_path):
    _serve_green(fuzz_server)
    # sharding-routes.ts catch: res.status(500)... but a 200 with success=false is handled the same way.
    fuzz_server.set("/api/sharding/status", Canned(b'{"success": false, "error": "orchestrator stopped"}'))
    m = scrape(exporter(write_config(tmp_path / "c.yml", fuzz_server.url)).url)
    assert m.get("lookout_collector_success", collector="shards") == 0
    assert m.get("lookout_collector_errors_total", collector="shards", reason="error") == 1
    assert m.get("tburn_shards") is None


def test_missing_field_is_counted_and_the_rest_reported(fuzz_server, exporter, write_config, tmp_path):
    _serve_green(fuzz_server)
    fuzz_server.set("/api/pipeline/stats", Canned(b'{"success": true, "data": {"blocksProduced": 1}}'))
    fuzz_server.set("/api/system-health/metrics", Canned(_envelope({
        "http": {"totalRequests": 10, "errorCount": 0, "errorRate": 0, "responseTime": {"p99": "lots"}},
        "process": {"uptime": 5, "eventLoopLag": 1}})))
    proc = exporter(write_config(tmp_path / "c.yml", fuzz_server.url))
    scrape(proc.url)
    m = scrape(proc.url)
    assert m["tburn_error_ratio"] == 0
    assert m.get("tburn_latency_p99_seconds") is None
    assert m.get("lookout_collector_fields_missing_total", exporter="tburn", collector="system_health", field="p99_latency") == 2
    assert m.get("lookout_collector_fields_missing_total", exporter="tburn", collector="system_health",
                 field="error_rate") is None
    assert m.get("lookout_collector_success", collector="system_health") == 1
    assert m.get("lookout_collector_success", collector="pipeline") == 0  # its only field is gone
    assert "field unreadable" in proc.logs() and proc.logs().count("field=p99_latency") == 1  # warned once


def test_db_pool_is_opt_in(fuzz_server, exporter, write_config, tmp_path):
    _serve_green(fuzz_server)
    cfg = write_config(tmp_path / "c.yml", fuzz_server.url, endpoints={"db_pool": {"enabled": True}})
    m = scrape(exporter(cfg).url)
    assert m["tburn_db_pool_available_connections"] == 8
    assert m["tburn_db_pool_waiting_requests"] == 0
    assert m["tburn_db_pool_total_connections"] == 10


def test_json_paths_scales_and_endpoint_paths_are_overridable(fuzz_server, exporter, write_config, tmp_path):
    _serve_green(fuzz_server)
    fuzz_server.set("/v2/memory", Canned(json.dumps(
        {"memory": {"heap": [{"usedBytes": 5000, "ratioPct": 42}]}}).encode()))
    fuzz_server.set("/v2/shards", Canned(b"48"))
    cfg = write_config(tmp_path / "c.yml", fuzz_server.url, endpoints={
        "system_health": {"path": "/v2/memory",
                          "fields": {"uptime": "memory.heap.0.usedBytes", "error_rate": "memory.heap.0.ratioPct"},
                          "scales": {"uptime": 2, "error_rate": 0.01}},
        "shards": {"path": "/v2/shards", "fields": {"count": ""}},
    })
    m = scrape(exporter(cfg).url)
    assert m["tburn_uptime_seconds"] == 10000
    assert m["tburn_error_ratio"] == pytest.approx(0.42)
    assert m["tburn_shards"] == 48
    assert m.get("lookout_collector_fields_missing_total", exporter="tburn", collector="system_health", field="p99_latency") == 1


def test_token_and_header_are_sent_and_never_shown(fuzz_server, exporter, write_config, tmp_path):
    _serve_green(fuzz_server)
    fuzz_server.set("/api/sharding/status", Canned(b"<h1>oops</h1>", status=500))  # a failure to report
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    cfg = write_config(tmp_path / "c.yml", fuzz_server.url, auth={"header_name": "X-API-Key"},
                       log={"level": "debug"})
    proc = exporter(cfg, env={"TBURN_AUTH__BEARER_TOKEN_FILE": str(token_file),
                              "TBURN_AUTH__HEADER_VALUE": API_KEY})
    m = scrape(proc.url)
    assert m["tburn_up"] == 1
    assert m.get("lookout_collector_errors_total", collector="shards", reason="http") == 1
    sent = fuzz_server.seen_headers[-1]
    assert sent["Authorization"] == f"Bearer {TOKEN}"
    assert sent["X-API-Key"] == API_KEY
    landing = http_get(proc.url + "/")[2]  # it shows the last error text
    for secret in (TOKEN, API_KEY):
        assert secret not in m.text
        assert secret not in landing
        assert secret not in proc.logs()


def test_redirects_are_not_followed(fuzz_server, exporter, write_config, tmp_path):
    """A redirect would carry the bearer token wherever it points."""
    _serve_green(fuzz_server)
    fuzz_server.set("/api/pipeline/stats", Canned(b"", status=302, headers={"Location": "/elsewhere"}))
    fuzz_server.set("/elsewhere", Canned(b'{"success": true, "data": {"isRunning": true}}'))
    proc = exporter(write_config(tmp_path / "c.yml", fuzz_server.url, auth={"bearer_token": TOKEN}))
    m = scrape(proc.url)
    assert m.get("lookout_collector_errors_total", collector="pipeline", reason="http") == 1
    assert m.get("tburn_pipeline_running") is None
    assert "/elsewhere" not in fuzz_server.seen_paths
