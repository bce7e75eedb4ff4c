"""promtool runs this system's cases (rule_cases.yml) against its generated rule file, with the
expected annotations rendered from the signals (the shared tests/alerts harness)."""
from __future__ import annotations

from pathlib import Path

import yaml

from lookout.alert_rules.catalog import build
from lookout.alert_rules.generate import write
from tests.alerts.conftest import promtool
from tests.alerts.rulecases import compile_explicit, write_test_file

CASES = Path(__file__).resolve().parent / "rule_cases.yml"


def test_rule_cases(tmp_path):
    signals = build(None)  # the signals' defaults: the cases are about them, not the operator's overrides
    write(tmp_path, signals)
    groups = compile_explicit(yaml.safe_load(CASES.read_text()), {s.key: s for s in signals})
    path = tmp_path / "tests.yml"
    write_test_file(path, [tmp_path / "backup.yml"], groups)
    res = promtool("test", "rules", str(path), timeout=120)
    assert res.returncode == 0, res.stdout[-6000:] + res.stderr[-2000:]
