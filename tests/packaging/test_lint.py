"""The linters, as tests so `./scripts/test` (and CI) runs them: ruff (pyflakes rules) and
vulture (dead code), both configured in pyproject.toml and pinned in requirements.lock.
The layer contract is tests/packaging/test_layers.py.

Each linter is also run on a sample of the code it once caught, so a configuration that
silences it fails here rather than passing quietly.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit   # the linters are the fast tier, though they run a subprocess

ROOT = Path(__file__).resolve().parents[2]

# runtime/main.py logged `listen`, a name gone in a refactor: a port in use ended the exporter
# with a NameError instead of "cannot serve".
CAUGHT = '''
import logging
log = logging.getLogger(__name__)

def serve(host, port):
    try:
        raise OSError("in use")
    except OSError as exc:
        log.error("cannot serve", extra={"fields": {"address": listen, "err": str(exc)}})


def never_called():   # dead: nothing calls it
    return 1
'''


def lint(tool: str, *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", tool, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_ruff_is_clean():
    res = lint("ruff", "check", "--no-cache", "--output-format", "concise", ".")
    assert res.returncode == 0, res.stdout + res.stderr


def test_vulture_finds_no_dead_code():
    res = lint("vulture")   # paths, confidence and the names it cannot see used: pyproject.toml
    assert res.returncode == 0, res.stdout + res.stderr


@pytest.fixture
def sample(tmp_path) -> Path:
    # The project's configuration, beside the sample.
    (tmp_path / "pyproject.toml").write_text((ROOT / "pyproject.toml").read_text())
    (tmp_path / "lookout").mkdir()
    (tmp_path / "lookout" / "caught.py").write_text(CAUGHT)
    for folder in ("tests", "bench"):
        (tmp_path / folder).mkdir()
    return tmp_path


def test_ruff_catches_the_name_error(sample):
    res = lint("ruff", "check", "--no-cache", "--output-format", "concise", ".", cwd=sample)
    assert res.returncode == 1
    assert "F821 Undefined name `listen`" in res.stdout, res.stdout


def test_vulture_catches_a_dead_function(sample):
    res = lint("vulture", cwd=sample)
    assert res.returncode == 3   # vulture: dead code found
    assert "unused function 'never_called'" in res.stdout, res.stdout
