"""TBURN's exporter rendered from the recorded answers reads each value as TBURN's source defines
it (the expected values come from the recorded answer and the application's units, not from
the exporter)."""
from __future__ import annotations

import pytest

from tests.golden import samples

from . import golden


@pytest.fixture(scope="module")
def tburn_now() -> str:
    """The TBURN exporter's /metrics rendered now (not the committed golden file)."""
    return golden.render()


def test_tburn_every_collector_reads_its_recorded_answer(tburn_now):
    got = samples(tburn_now)
    success = {dict(k[1])["collector"]: v for k, v in got.items() if k[0] == "lookout_collector_success"}
    assert success and set(success.values()) == {1.0}, success
    assert got[("tburn_up", ())] == 1.0


def test_tburn_values_mean_what_tburn_means(tburn_now):
    got = samples(tburn_now)
    answers = golden.answers()
    http = answers["system_health"]["data"]["http"]
    # system-health-routes.ts: errorRate is a percent, p99 in milliseconds.
    assert got[("tburn_error_ratio", ())] == pytest.approx(http["errorRate"] / 100)
    assert got[("tburn_latency_p99_seconds", ())] == pytest.approx(http["responseTime"]["p99"] / 1000)
    # pipeline-routes.ts: isRunning is a boolean.
    assert got[("tburn_pipeline_running", ())] == float(answers["pipeline"]["data"]["isRunning"])
