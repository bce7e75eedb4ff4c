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
    return subprocess.run([sys.executable, "-m", "lookout.exporters.tburn", "--check-config", "--config", str(path)],
                          cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})


@pytest.mark.parametrize("text,key", [
    ("base_urll: http://x\n", "base_urll"),
    ("base_url: ftp://host\n", "base_url"),
    ("base_url: http://host/?q=1\n", "base_url"),
    ("timeout_seconds: 0\n", "timeout_seconds"),
    ("max_concurrency: 0\n", "max_concurrency"),
    ("max_body_bytes: 10\n", "max_body_bytes"),
    ("endpoints: {db_pool: {fields: {idle: idleCount}}}\n", "endpoints.db_pool.fields.idle"),
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
    assert "8 collectors" in res.stdout and "pipeline" not in res.stdout


def _serve_green(server):
    bodies = {
        "/health": {"status": "ok"},
        "/api/system-health": {"errorRate": "0.01", "p99LatencyMs": 120, "uptimeSeconds": 5,
                               "totalRequests": 100, "totalErrors": 1},
        "/api/memory-guardian/status": {"heapUsedMB": 1024, "heapTotalMB": 2048, "heapRatio": 0.25,
                                        "lastGcAt": 1736762400000},
        "/api/memory-governor/status": {"state": "NORMAL", "hibernatedShards": []},
        "/api/request-shedder/metrics": {"eventLoopLagMs": "12.5", "isDegradedMode": "false",
                                         "totalSheddedRequests": 3},
        "/api/health/circuit-breakers": {"breakers": {"db": "CLOSED"}},
        "/api/db/pool/status": {"idleCount": 8, "waitingCount": 0, "totalCount": 10},
        "/api/pipeline/stats": {"isRunning": True},
        "/api/shards/count": {"shardCount": 32},
    }
    for path, body in bodies.items():
        server.set(path, Canned(json.dumps(body).encode()))


def test_values_arrive_in_base_units(fuzz_server, exporter, write_config, tmp_path):
    _serve_green(fuzz_server)
    m = scrape(exporter(write_config(tmp_path / "c.yml", fuzz_server.url)).url)
    assert m["tburn_error_ratio"] == 0.01
    assert m["tburn_latency_p99_seconds"] == pytest.approx(0.12)
    assert m["tburn_heap_used_bytes"] == 1024 * 2**20
    assert m["tburn_last_gc_timestamp_seconds"] == 1736762400
    assert m["tburn_event_loop_lag_seconds"] == pytest.approx(0.0125)
    assert m["tburn_degraded_mode"] == 0
    assert m["tburn_requests_shed_total"] == 3
    assert m.get("tburn_memory_governor_state", tburn_memory_governor_state="Normal") == 1
    assert m.get("tburn_circuit_breaker_state", breaker="db", tburn_circuit_breaker_state="closed") == 1
    # Optional fields this TBURN lacks (heapLimitMB, level, maxConnections) are no errors.
    assert sum(s.value for s in m.all("tburn_field_errors_total")) == 0
    assert m.get("tburn_heap_limit_bytes") is None


def test_missing_field_is_counted_and_the_rest_reported(fuzz_server, exporter, write_config, tmp_path):
    _serve_green(fuzz_server)
    fuzz_server.set("/api/db/pool/status", Canned(b'{"idleCount": 8, "waitingCount": "lots"}'))
    proc = exporter(write_config(tmp_path / "c.yml", fuzz_server.url))
    scrape(proc.url)
    m = scrape(proc.url)
    assert m["tburn_db_pool_available_connections"] == 8
    assert m.get("tburn_db_pool_waiting_requests") is None
    assert m.get("tburn_field_errors_total", endpoint="db_pool", field="waiting") == 2
    assert m.get("tburn_field_errors_total", endpoint="db_pool", field="total") == 2
    assert m.get("tburn_field_errors_total", endpoint="db_pool", field="available") == 0
    assert m.get("lookout_collector_success", collector="db_pool") == 1
    assert "field unreadable" in proc.logs() and proc.logs().count("field=waiting") == 1  # warned once


def test_json_paths_scales_and_endpoint_paths_are_overridable(fuzz_server, exporter, write_config, tmp_path):
    _serve_green(fuzz_server)
    fuzz_server.set("/v2/memory", Canned(json.dumps(
        {"memory": {"heap": [{"usedBytes": 5000, "ratioPct": 42}]}}).encode()))
    fuzz_server.set("/v2/shards", Canned(b"48"))
    cfg = write_config(tmp_path / "c.yml", fuzz_server.url, endpoints={
        "memory_guardian": {"path": "/v2/memory",
                            "fields": {"heap_used": "memory.heap.0.usedBytes", "heap_ratio": "memory.heap.0.ratioPct"},
                            "scales": {"heap_used": 1, "heap_ratio": 0.01}},
        "shards": {"path": "/v2/shards", "fields": {"count": ""}},
    })
    m = scrape(exporter(cfg).url)
    assert m["tburn_heap_used_bytes"] == 5000
    assert m["tburn_heap_ratio"] == pytest.approx(0.42)
    assert m["tburn_shards"] == 48
    assert m.get("tburn_field_errors_total", endpoint="memory_guardian", field="heap_total") == 1


def test_token_and_header_are_sent_and_never_shown(fuzz_server, exporter, write_config, tmp_path):
    _serve_green(fuzz_server)
    fuzz_server.set("/api/shards/count", Canned(b"<h1>oops</h1>", status=500))  # a failure to report
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
    fuzz_server.set("/elsewhere", Canned(b'{"isRunning": true}'))
    proc = exporter(write_config(tmp_path / "c.yml", fuzz_server.url, auth={"bearer_token": TOKEN}))
    m = scrape(proc.url)
    assert m.get("lookout_collector_errors_total", collector="pipeline", reason="http") == 1
    assert m.get("tburn_pipeline_running") is None
    assert "/elsewhere" not in fuzz_server.seen_paths
