"""Each scenario's incident replayed at production timing against the committed rules
(tests/alerts/incidents.py builds the series and the checks), held to the scenario's promise
(lookout/systems/<key>/scenarios.py, gathered by lookout/demo/scenarios.py)."""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import pytest

from lookout.demo.scenarios import SCENARIOS
from .conftest import COMMITTED_RULES, needed_rule_files, promtool
from .incidents import replays, write

REPLAYS = replays()


def _seconds(eval_time: str) -> int:
    return int(eval_time[:-1]) * {"s": 1, "m": 60}[eval_time[-1]]


def test_every_scenario_has_a_replay():
    assert sorted(REPLAYS) == sorted(SCENARIOS)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_the_replay_checks_the_promise(name):
    """In the replay of the whole fault (the first group): each alert of `pages` firing at
    critical, each chat-only alert firing at warning and never at critical, and each of them
    not firing at some later time and at every time after it (the quiet after)."""
    scenario, group = SCENARIOS[name], REPLAYS[name]()[0]
    for alert in {*scenario.pages, *scenario.chat}:
        tests = sorted((t for t in group["alert_rule_test"] if t["alertname"] == alert),
                       key=lambda t: _seconds(t["eval_time"]))
        firing = [{a["exp_labels"]["severity"] for a in t["exp_alerts"]} for t in tests if t.get("exp_alerts")]
        wanted = "critical" if alert in scenario.pages else "warning"
        assert any(wanted in levels for levels in firing), (alert, firing)
        if alert not in scenario.pages:
            assert not any("critical" in levels for levels in firing), (alert, firing)
        last_firing = max(i for i, t in enumerate(tests) if t.get("exp_alerts"))
        assert last_firing < len(tests) - 1, f"{alert}: no quiet after the fault"


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory) -> dict:
    """promtool's answer for every replay, run a core's worth at a time (each promtool is one
    busy evaluation loop; together they are most of this module's time)."""
    folder = tmp_path_factory.mktemp("replays")

    def run(name):
        rule_files = needed_rule_files(REPLAYS[name](), COMMITTED_RULES)
        path = write(name, [str(p) for p in rule_files], folder / f"{name}.yml")
        return promtool("test", "rules", str(path), timeout=600)
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        futures = {name: pool.submit(run, name) for name in REPLAYS}
    return {name: future.result() for name, future in futures.items()}


@pytest.mark.parametrize("name", list(REPLAYS))
def test_the_incident_at_production_timing(name, verdicts):
    res = verdicts[name]
    assert res.returncode == 0, res.stdout[-6000:] + res.stderr[-2000:]
