"""No dead panels: with a real Prometheus (Debian's) scraping every real exporter against
its real backend (MariaDB for TiDB, PostgreSQL and Docker, PM2, the TBURN simulator) and
evaluating the generated alert rules, every panel query returns data."""
from __future__ import annotations

import pytest
from .dashboard_json import queries, substitute

from lookout.alert_rules.settings import SYSTEMS
from lookout.devstack.prometheus_server import PrometheusServer

from tests.systems import merged
from . import live_stack

MISSING = live_stack.missing_exporters()
pytestmark = pytest.mark.skipif(
    bool(MISSING), reason=f"exporter package(s) not written yet: {', '.join(f'lookout.systems.{m}.exporter' for m in MISSING)}")

# Queries allowed to come back empty here, each for a reason a short test run cannot change:
# each system's MAY_BE_EMPTY (lookout/systems/<key>/tests/live.py), and the shared dashboards'.
MAY_BE_EMPTY = {
    **merged("live", "MAY_BE_EMPTY"),
    ("wall", "Firing now"): "lists firing alerts: empty whenever all is well",
    ("lookout", "Configured fields missing (5m)"):
        "exists only for collectors that declare configured fields (Collector.field_names()); until the"
        " domain collectors declare theirs, none does",
}


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    stack = live_stack.start(tmp_path_factory.mktemp("live"))
    rules = [live_stack.ROOT / "lookout" / "alert_rules" / "generated" / f"{system}.yml" for system in SYSTEMS]
    try:
        with PrometheusServer(stack.targets, rule_files=rules) as prometheus:
            live_stack.settle(prometheus, list(stack.targets))
            yield prometheus
    finally:
        stack.close()


def test_every_exporter_is_up_against_its_backend(live):
    for ns in live_stack.EXPORTERS:
        result = live.query(f"{ns}_up")["data"]["result"]
        assert result and all(r["value"][1] == "1" for r in result), (ns, result)


def test_every_panel_returns_data(live, dashboards):
    dead = []
    for name, title, expr in queries(dashboards):
        if (name, title) in MAY_BE_EMPTY:
            continue
        answer = live.query(substitute(expr))
        assert answer["status"] == "success", (name, title, answer)
        if not answer["data"]["result"]:
            dead.append(f"{name} / {title}: {expr}")
    assert not dead, "panels without data:\n" + "\n".join(dead)
