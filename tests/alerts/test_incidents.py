"""Each scenario's incident replayed at production timing (15 s scrapes, the committed rules,
hours of series shaped like the real fault: tests/alerts/incidents/make.py writes them), with
the alerts Prometheus must have firing at every minute and none other of the incident's.
Which of those reach a receiver is Alertmanager's part (test_alertmanager.py); here the rules'
part: the crash loop's CollectorDown, the held effects after their cause."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from .conftest import COMMITTED_RULES, promtool

REPLAYS = sorted((Path(__file__).parent / "incidents").glob("*.yml"))


@pytest.mark.parametrize("replay", REPLAYS, ids=[p.stem for p in REPLAYS])
def test_the_incident_at_production_timing(replay, tmp_path):
    doc = yaml.safe_load(replay.read_text())
    doc["rule_files"] = [str(p) for p in COMMITTED_RULES]
    path = tmp_path / replay.name
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    res = promtool("test", "rules", str(path), timeout=600)
    assert res.returncode == 0, res.stdout[-6000:] + res.stderr[-2000:]


def test_the_replays_are_generated():
    import runpy
    before = {p: p.read_text() for p in REPLAYS}
    runpy.run_path(str(Path(__file__).parent / "incidents" / "make.py"), run_name="__main__")
    assert {p: p.read_text() for p in REPLAYS} == before, "run tests/alerts/incidents/make.py"
