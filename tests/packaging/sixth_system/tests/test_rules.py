"""promtool runs this system's cases (rule_cases.yml) and its scenario's replay (incidents.py)
against its generated rule file, the expected annotations rendered from the signals (the shared
tests/alerts harness)."""
from __future__ import annotations

from pathlib import Path

import yaml

from lookout.alert_rules.catalog import build
from lookout.alert_rules.generate import write
from tests.alerts.conftest import promtool
from tests.alerts.incidents import STEP
from tests.alerts.rulecases import compile_explicit, write_test_file

from .incidents import REPLAYS

CASES = Path(__file__).resolve().parent / "rule_cases.yml"


def test_rule_cases(tmp_path):
    signals = build(None)  # the signals' defaults: the cases are about them, not the operator's overrides
    write(tmp_path, signals)
    groups = compile_explicit(yaml.safe_load(CASES.read_text()), {s.key: s for s in signals})
    path = tmp_path / "tests.yml"
    write_test_file(path, [tmp_path / "backup.yml"], groups)
    res = promtool("test", "rules", str(path), timeout=120)
    assert res.returncode == 0, res.stdout[-6000:] + res.stderr[-2000:]


def test_the_scenario_replayed_at_production_timing(tmp_path):
    """scenarios.py's promise for backup-status-lost, as tests/alerts/test_incidents.py checks
    every system's: chat (a warning) once the file has been gone 2 minutes, quiet after."""
    signals = build()  # the operator's signals, as the committed rules
    write(tmp_path, signals)
    doc = {"rule_files": [str(tmp_path / "backup.yml")], "evaluation_interval": f"{STEP}s",
           "tests": REPLAYS["backup-status-lost"]()}
    path = tmp_path / "replay.yml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False, width=200))
    res = promtool("test", "rules", str(path), timeout=120)
    assert res.returncode == 0, res.stdout[-6000:] + res.stderr[-2000:]
