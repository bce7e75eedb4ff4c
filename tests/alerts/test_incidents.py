"""Each scenario's incident replayed at production timing against the committed rules
(tests/alerts/incidents.py builds the series and the checks)."""
from __future__ import annotations

import pytest

from .conftest import COMMITTED_RULES, promtool
from .incidents import REPLAYS, write


@pytest.mark.parametrize("name", list(REPLAYS))
def test_the_incident_at_production_timing(name, tmp_path):
    path = write(name, [str(p) for p in COMMITTED_RULES], tmp_path / f"{name}.yml")
    res = promtool("test", "rules", str(path), timeout=600)
    assert res.returncode == 0, res.stdout[-6000:] + res.stderr[-2000:]
