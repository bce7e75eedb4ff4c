"""Issue 22: JSON null is "no value yet", never a missing field: TBURN answered
`errorRate: null` on /api/system-health/metrics (server/core/monitoring/system-health-routes.ts)
and Lookout counted it as a renamed field (ExporterFieldsMissing)."""
from __future__ import annotations

from lookout.devstack.fuzz_body_server import Canned
from lookout.devstack.proc import scrape

from .test_tburn_config import _envelope, _serve_green


def test_error_rate_null_is_no_value_yet_not_a_missing_field(fuzz_server, exporter, write_config, tmp_path):
    _serve_green(fuzz_server)
    fuzz_server.set("/api/system-health/metrics", Canned(_envelope({
        "process": {"uptime": 5, "eventLoopLag": 1},
        "http": {"totalRequests": 0, "errorCount": 0, "errorRate": None,
                 "responseTime": {"avg": None, "p95": None, "p99": None}}})))
    proc = exporter(write_config(tmp_path / "c.yml", fuzz_server.url))
    scrape(proc.url)
    m = scrape(proc.url)
    assert m.get("lookout_collector_success", collector="system_health") == 1
    assert m.get("tburn_error_ratio") is None
    assert m.get("tburn_latency_p99_seconds") is None
    for field in ("error_rate", "p99_latency"):
        assert m.get("lookout_collector_fields_missing_total", exporter="tburn", collector="system_health",
                     field=field) is None, field
