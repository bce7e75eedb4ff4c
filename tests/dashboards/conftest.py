"""Fixtures for the dashboard tests: the committed JSON and a real Prometheus to judge
the queries. Helpers live in dashboard_json.py."""
from __future__ import annotations

import pytest
from .dashboard_json import GENERATED, load_dashboards

from lookout.devstack.prometheus_server import PrometheusServer


@pytest.fixture(scope="session")
def dashboards() -> dict[str, dict]:
    found = load_dashboards()
    assert found, f"no generated dashboards under {GENERATED}; run `python -m lookout.dashboards`"
    return found


@pytest.fixture(scope="session")
def prometheus():
    with PrometheusServer() as server:
        yield server
