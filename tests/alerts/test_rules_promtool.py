"""promtool on the rules: `check rules`, and `test rules` for every alert of the catalog."""
from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

import pytest
import yaml

from lookout.alert_rules.catalog import build
from lookout.alert_rules.generate import write
from lookout.alert_rules.settings import SYSTEMS
from .conftest import COMMITTED_RULES, by_rule_files, promtool
from tests.systems import case_files
from .rulecases import _minutes, compile_explicit, fixtures, generated_groups, write_test_file

# Hand-written cases: each system's (lookout/systems/<key>/tests/rule_cases.yml), the exporters' own here.
CASE_FILES = {**case_files(), **{p.stem: p for p in sorted((Path(__file__).parent / "cases").glob("*.yml"))}}
CASES = list(CASE_FILES.values())

SIGNALS = build()


def run_tests(tmp_path: Path, rule_files: list[Path], groups: list[dict], name: str = "tests.yml"):
    """promtool test rules on `groups`, one run per set of the rule files they read (by_rule_files);
    the runs' outputs joined, the worst exit code."""
    runs = []
    for i, (files, part) in enumerate(by_rule_files(groups, rule_files)):
        path = tmp_path / f"{Path(name).stem}-{i}.yml"
        write_test_file(path, files, part)
        runs.append(promtool("test", "rules", str(path), timeout=300))
    return subprocess.CompletedProcess(["promtool", "test", "rules"], max(r.returncode for r in runs),
                                       "".join(r.stdout for r in runs), "".join(r.stderr for r in runs))


def test_promtool_check_rules():
    res = promtool("check", "rules", *map(str, COMMITTED_RULES))
    assert res.returncode == 0, res.stdout + res.stderr
    # promtool also lints (duplicate rules and the like) and says so on stdout.
    assert "SUCCESS" in res.stdout and "WARNING" not in res.stdout + res.stderr, res.stdout + res.stderr


def test_generated_cases_pass_on_the_committed_rules(tmp_path):
    """Every signal with a fixture, walked across its boundaries with the operator's overrides."""
    res = run_tests(tmp_path, COMMITTED_RULES, generated_groups(SIGNALS))
    assert res.returncode == 0, res.stdout[-6000:] + res.stderr[-2000:]


@pytest.mark.parametrize("case_file", CASES, ids=list(CASE_FILES))
def test_explicit_cases(case_file, tmp_path, default_rules, default_signals):
    groups = compile_explicit(yaml.safe_load(case_file.read_text()), {s.key: s for s in default_signals})
    res = run_tests(tmp_path, default_rules, groups, case_file.name)
    assert res.returncode == 0, res.stdout[-6000:] + res.stderr[-2000:]


def _expected_firing(groups: list[dict]) -> set[tuple[str, str]]:
    return {(t["alertname"], a["exp_labels"]["severity"])
            for g in groups for t in g["alert_rule_test"] for a in t.get("exp_alerts", [])}


def _resolved(groups: list[dict]) -> set[tuple[str, str]]:
    """(alert, severity) pairs expected to fire at one check and gone at a later one."""
    out = set()
    for g in groups:
        seen: dict[str, set] = {}
        for t in sorted(g["alert_rule_test"], key=lambda t: int(t["eval_time"].rstrip("m"))):
            now = {tuple(sorted(a["exp_labels"].items())) for a in t.get("exp_alerts", [])}
            gone = seen.get(t["alertname"], set()) - now
            out |= {(t["alertname"], dict(labels)["severity"]) for labels in gone}
            seen.setdefault(t["alertname"], set()).update(now)
    return out


def test_every_alert_and_severity_fires_and_resolves_in_some_case(default_signals):
    explicit = compile_explicit([g for p in CASES for g in yaml.safe_load(p.read_text())],
                                {s.key: s for s in default_signals})
    groups = generated_groups(default_signals) + explicit
    wanted = {(s.alert, level) for s in default_signals for level in ("warning", "critical")
              if getattr(s, level) is not None}
    assert _expected_firing(groups) == wanted
    assert _resolved(groups) == wanted


def test_signals_without_fixture_have_an_explicit_case(default_signals):
    explicit_signals = {a["signal"] for p in CASES for g in yaml.safe_load(p.read_text())
                        for t in g.get("alert_rule_test", []) for a in t.get("exp_alerts", [])}
    missing = {s.key for s in default_signals} - set(fixtures()) - explicit_signals
    assert not missing, f"signals with no promtool case: {missing}"


def _drift_subject(signals):
    """A signal the generated cases walk value by value (a fixture, not a burst), bad below an
    open warning boundary held for 2 minutes or more."""
    fx = fixtures()
    return next(s for s in signals if s.key in fx and not fx[s.key].burst_minutes and s.direction == "below"
                and not s.inclusive and s.warning is not None and _minutes(s.for_warning) >= 2)


@pytest.mark.parametrize("change", [
    lambda s, step: {"inclusive": True},                                # < became <=: the green boundary value now fires
    lambda s, step: {"for_warning": f"{_minutes(s.for_warning) - 1}m"},  # `for` shortened: fires a minute early
    lambda s, step: {"warning": s.warning + step},                      # boundary moved by one step
], ids=["inclusive", "for", "boundary"])
def test_generated_cases_catch_a_rule_that_drifts(change, tmp_path, default_signals):
    """The cases come from the signal; rules generated from a changed signal must fail them."""
    subject = _drift_subject(default_signals)
    drifted = [dataclasses.replace(s, **change(s, fixtures()[s.key].step)) if s is subject else s
               for s in default_signals]
    write(tmp_path, drifted)
    res = run_tests(tmp_path, [tmp_path / f"{s}.yml" for s in SYSTEMS], generated_groups([subject]))
    assert res.returncode != 0 and "FAILED" in res.stdout + res.stderr, res.stdout + res.stderr
