"""The golden `/metrics` files are what the exporters render today from the recorded answers
(regenerate: `python -m tests.golden`), every recorded answer names the application file it
mirrors, and a few values read as TBURN's source defines them (the expected values come from
the recorded answer and the application's units, not from the exporter)."""
from __future__ import annotations

import asyncio
import re

import pytest
from prometheus_client.parser import text_string_to_metric_families

from . import HERE
from . import tburn
from .__main__ import EXPORTERS


@pytest.mark.parametrize("module", EXPORTERS, ids=lambda m: m.NAME)
def test_golden_metrics_are_up_to_date(module):
    golden = HERE / f"{module.NAME}.prom"
    assert golden.read_text() == asyncio.run(module.render()), \
        f"{golden.name} is stale: run `python -m tests.golden` and review the diff"


@pytest.mark.parametrize("module", EXPORTERS, ids=lambda m: m.NAME)
def test_every_recorded_answer_names_the_file_it_mirrors(module):
    sources = module.sources()
    assert sources
    for name, s in sources.items():
        assert re.fullmatch(rf"{module.REPO}@[0-9a-f]{{40}}:\S+\.(ts|js|go|py)", s["mirrors"]), (name, s)
        assert (module.folder() / s["file"]).is_file(), name


def samples(text: str) -> dict:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for fam in text_string_to_metric_families(text) for s in fam.samples}


@pytest.fixture(scope="module")
def tburn_now() -> str:
    """The TBURN exporter's /metrics rendered now (not the committed golden file)."""
    return asyncio.run(tburn.render())


def test_tburn_every_collector_reads_its_recorded_answer(tburn_now):
    got = samples(tburn_now)
    success = {dict(k[1])["collector"]: v for k, v in got.items() if k[0] == "lookout_collector_success"}
    assert success and set(success.values()) == {1.0}, success
    assert got[("tburn_up", ())] == 1.0


def test_tburn_values_mean_what_tburn_means(tburn_now):
    got = samples(tburn_now)
    answers = tburn.answers()
    http = answers["system_health"]["data"]["http"]
    # system-health-routes.ts: errorRate is a percent, p99 in milliseconds.
    assert got[("tburn_error_ratio", ())] == pytest.approx(http["errorRate"] / 100)
    assert got[("tburn_latency_p99_seconds", ())] == pytest.approx(http["responseTime"]["p99"] / 1000)
    # pipeline-routes.ts: isRunning is a boolean.
    assert got[("tburn_pipeline_running", ())] == float(answers["pipeline"]["data"]["isRunning"])
