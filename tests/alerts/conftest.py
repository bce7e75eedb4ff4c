import re
import shutil
import subprocess
from functools import cache
from pathlib import Path

import pytest
import yaml

from lookout.alert_rules.catalog import build
from lookout.alert_rules.generate import write
from lookout.alert_rules.settings import OUTPUT_DIR, SYSTEMS

COMMITTED_RULES = [OUTPUT_DIR / f"{system}.yml" for system in SYSTEMS]


def promtool(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    if shutil.which("promtool") is None:
        pytest.fail("promtool is missing: scripts/install-deps installs the prometheus package")
    return subprocess.run(["promtool", *args], capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def default_signals():
    """The signals without the operator's overrides: what the hand-written cases assume."""
    return build(None)


@pytest.fixture(scope="session")
def default_rules(tmp_path_factory, default_signals):
    out = tmp_path_factory.mktemp("default-rules")
    write(out, default_signals)
    return [out / f"{system}.yml" for system in SYSTEMS]


@cache
def _rules(path: Path) -> tuple[dict, ...]:
    return tuple(r for group in yaml.safe_load(path.read_text())["groups"] for r in group["rules"])


def needed_rule_files(groups: list[dict], rule_files: list[Path]) -> list[Path]:
    """The files of `rule_files` that promtool test groups read: those defining an alert the
    groups name, and, until nothing more is named, those defining a series (recorded, or an
    alert's ALERTS) that their expressions name. promtool evaluates every rule of every file
    at every step, and the longest replay (27 hours) spent most of its time on the rules of
    systems none of its checks reads; the rules given are evaluated exactly as before."""
    named = {t["alertname"] for group in groups for t in group.get("alert_rule_test", [])}
    queries = [t["expr"] for group in groups for t in group.get("promql_expr_test", [])]
    chosen = [p for p in rule_files if any(r.get("alert") in named for r in _rules(p))]
    defined = {r.get("alert") for p in chosen for r in _rules(p)}
    assert named <= defined, f"the tests name alerts no rule file defines: {sorted(named - defined)}"
    while True:
        exprs = " ".join([*queries, *(r["expr"] for p in chosen for r in _rules(p))])
        more = [p for p in rule_files if p not in chosen and any(
            re.search(rf"\b{re.escape(r.get('record') or r['alert'])}\b", exprs) for r in _rules(p))]
        if not more:
            return [p for p in rule_files if p in chosen]
        chosen += more


def by_rule_files(groups: list[dict], rule_files: list[Path]) -> list[tuple[list[Path], list[dict]]]:
    """`groups` partitioned by the rule files they read (needed_rule_files), in first-seen order."""
    parts: dict[tuple[Path, ...], list[dict]] = {}
    for group in groups:
        parts.setdefault(tuple(needed_rule_files([group], rule_files)), []).append(group)
    return [(list(files), part) for files, part in parts.items()]
