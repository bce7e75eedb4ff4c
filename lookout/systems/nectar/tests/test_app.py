"""The optional `app` collector against bodies shaped like Nectar's dashboard API
(honeycomb-tech/nectar web/handlers.go HandleAPIStatus, HandleAPIErrors, HandleAPIMemory);
the values are ours."""
import json

import pytest

from lookout.devstack.fuzz_body_server import Canned, FuzzBodyServer
from lookout.devstack.proc import scrape

from .conftest import write_config

STATUS = {"status": "running", "lastUpdate": "2026-01-13T10:00:00Z", "startTime": "2026-01-13T08:00:00Z",
          "uptime": "2h0m0s", "currentEra": "Alonzo", "currentSlot": 41000000, "tipSlot": 150000000,
          "syncPercentage": 27.333, "blocksPerSec": 143.5, "totalBlocks": 6200000}
ERRORS = {"totalErrors": 9, "errorsByType": {"Connection": 4, "Slow Query": 3, "Mystery": 2}, "recentErrors": []}
MEMORY = {"alloc": 61000, "totalAlloc": 900000, "sys": 70000, "numGC": 812, "goroutines": 143,
          "heapAlloc": 60500, "heapSys": 68000, "heapIdle": 7000, "heapInuse": 61000, "heapReleased": 100,
          "heapObjects": 123456, "stackInuse": 12, "stackSys": 12, "gcCPUFraction": 0.01}


@pytest.fixture
def dashboard():
    server = FuzzBodyServer().start()
    for path, body in (("/api/status", STATUS), ("/api/errors", ERRORS), ("/api/memory", MEMORY)):
        server.set(path, Canned(json.dumps(body).encode()))
    yield server
    server.stop()


def test_dashboard_api_values(mariadb, exporter, dashboard, tmp_path):
    m = scrape(exporter(write_config(tmp_path / "c.yml", mariadb, app={"url": dashboard.url})).url)
    assert m.get("lookout_collector_success", exporter="nectar", collector="app") == 1
    assert m["nectar_app_current_slot"] == 41000000
    assert m["nectar_app_tip_slot"] == 150000000
    assert m["nectar_app_blocks_per_second"] == 143.5
    assert m["nectar_app_sync_ratio"] == pytest.approx(0.27333)
    assert m["nectar_app_errors_total"] == 9
    assert m.get("nectar_app_errors_by_type_total", type="connection") == 4
    assert m.get("nectar_app_errors_by_type_total", type="slow_query") == 3
    assert m.get("nectar_app_errors_by_type_total", type="other") == 2      # unknown types stay bounded
    assert m.get("nectar_app_errors_by_type_total", type="database") == 0
    assert m["nectar_app_heap_alloc_bytes"] == 60500 * 2**20              # MB in Nectar's answer
    assert m["nectar_app_goroutines"] == 143
    assert m["nectar_app_gc_cycles_total"] == 812


def test_unknown_tip_and_a_failing_route(mariadb, exporter, dashboard, tmp_path):
    dashboard.set("/api/status", Canned(json.dumps({**STATUS, "tipSlot": 0}).encode()))
    dashboard.set("/api/memory", Canned(b"<html>502</html>", status=502))
    m = scrape(exporter(write_config(tmp_path / "c.yml", mariadb, app={"url": dashboard.url})).url)
    assert m.get("nectar_app_tip_slot") is None          # 0: Nectar does not know the tip yet
    assert m.get("lookout_collector_success", exporter="nectar", collector="app") == 0
    assert m["nectar_app_current_slot"] == 41000000      # what was read before the failure is kept
    assert m.get("nectar_app_goroutines") is None
    assert m["nectar_up"] == 1                            # the database side is untouched
