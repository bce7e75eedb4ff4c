"""The built wheel in a clean virtualenv outside the checkout: every console script starts,
and the rule and dashboard generators find their committed output (package data) up to date.

Slow-ish (a wheel build and an install, from the machine's pip configuration): one module-scoped
venv serves every test here.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lookout.systems import SYSTEMS

ROOT = Path(__file__).resolve().parents[2]
# One per system of the registry (setup.py finds them by folder), and the shared commands.
SCRIPTS = sorted([*(s.console_script for s in SYSTEMS), "lookout", "lookout-remediate"])
HEAD = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("wheel")
    assert not base.resolve().is_relative_to(ROOT)
    # Build from a copy: setuptools writes build/ and *.egg-info next to the sources.
    src = base / "src"
    src.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(ROOT / "lookout", src / "lookout", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    dist = base / "dist"
    # The copy has no .git: the build takes the commit from LOOKOUT_REVISION (setup.py), as the Dockerfile's does.
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(src)], cwd=base, timeout=300,
        env={"LOOKOUT_REVISION": HEAD})
    wheel = next(dist.glob("lookout-*.whl"))
    env_dir = base / "venv"
    # Without pip: ensurepip (unpacking and compiling pip into the venv) took most of this
    # fixture's minute. The test run's own pip installs into the venv instead (`--python`):
    # the venv still holds only the wheel and what it depends on, and nothing here uses its pip.
    run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], cwd=base, timeout=120)
    run([sys.executable, "-m", "pip", "--python", str(env_dir / "bin" / "python"), "install", "-q",
         "--disable-pip-version-check", "-c", str(ROOT / "requirements.lock"), str(wheel)], cwd=base, timeout=600)
    return env_dir


def run(args: list[str], cwd: Path, timeout: float = 120, check: bool = True,
        env: dict | None = None) -> subprocess.CompletedProcess:
    # No PYTHONPATH, and a working directory outside the checkout: only the venv's lookout can load.
    env = {**{k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}, **(env or {})}
    res = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if check:
        assert res.returncode == 0, f"{' '.join(args)} exited {res.returncode}:\n{res.stdout}\n{res.stderr}"
    return res


def test_lookout_loads_from_the_venv(venv):
    where = run([str(venv / "bin" / "python"), "-c", "import lookout; print(lookout.__file__)"], cwd=venv).stdout
    assert Path(where.strip()).is_relative_to(venv)
    version = run([str(venv / "bin" / "python"), "-c", "import importlib.metadata as m; print(m.version('lookout'))"],
                  cwd=venv).stdout.strip()
    init = (ROOT / "lookout" / "__init__.py").read_text()
    assert f'__version__ = "{version}"' in init


def test_the_wheel_carries_its_revision(venv):
    """Outside any checkout, --version names the commit the wheel was built from (lookout/REVISION)."""
    res = run([str(venv / "bin" / "lookout-tburn"), "--version"], cwd=venv)
    assert f"(revision: {HEAD})" in res.stdout.splitlines()[0], res.stdout


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_console_script_answers_help(venv, script):
    res = run([str(venv / "bin" / script), "--help"], cwd=venv)
    assert res.stdout.startswith("usage:"), res.stdout


def test_demo_up_help(venv):
    res = run([str(venv / "bin" / "lookout"), "demo", "up", "--help"], cwd=venv)
    assert "--profile" in res.stdout and "--random-ports" in res.stdout


@pytest.mark.parametrize("module", ["lookout.alert_rules", "lookout.dashboards"])
def test_generators_check_clean_from_the_wheel(venv, module):
    res = run([str(venv / "bin" / "python"), "-m", module, "--check"], cwd=venv, check=False)
    assert res.returncode == 0, f"{module} --check from the wheel: {res.stderr}"


def test_generators_write_into_a_missing_folder(venv, tmp_path):
    for module in ("lookout.alert_rules", "lookout.dashboards"):
        out = tmp_path / module / "not" / "there"
        res = run([str(venv / "bin" / "python"), "-m", module, "--out", str(out)], cwd=venv, check=False)
        assert res.returncode == 0 and "Traceback" not in res.stderr, res.stderr
        assert list(out.iterdir())


def test_an_exporter_checks_a_shipped_config(venv):
    shipped = run([str(venv / "bin" / "python"), "-c",
                   "import lookout.systems, pathlib; print(pathlib.Path(lookout.systems.__file__).parent / 'tburn' / 'compose.yml')"],
                  cwd=venv).stdout.strip()
    res = run([str(venv / "bin" / "lookout-tburn"), "--config", shipped, "--check-config"], cwd=venv)
    assert "configuration OK" in res.stdout


# Files under lookout/ that no command reads (documentation for contributors).
NOT_READ = {"lookout/dashboards/README.md"}
# Each system's own tests (and their recorded answers, golden files, promtool cases): not shipped.
SYSTEM_TESTS = re.compile(r"lookout/systems/[^/]+/tests/")


def test_the_wheel_carries_every_data_file_of_the_package(venv):
    """Every non-Python file of lookout/ in the checkout is in the installed package: a command
    that reads one (the demo reads lookout/remediate/alerts.yml) finds it from a wheel too."""
    tracked = subprocess.run(["git", "ls-files", "lookout"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    wanted = sorted(p for p in tracked if not p.endswith(".py") and p not in NOT_READ and not SYSTEM_TESTS.match(p))
    site = Path(run([str(venv / "bin" / "python"), "-c", "import lookout, pathlib; print(pathlib.Path(lookout.__file__).parent)"],
                    cwd=venv).stdout.strip()).parent
    assert [p for p in wanted if not (site / p).is_file()] == []


def test_the_wheel_carries_no_tests(venv):
    """Each system's own tests live in its folder (lookout/systems/<key>/tests/); pyproject's
    packages.find excludes them, data files included."""
    site = Path(run([str(venv / "bin" / "python"), "-c", "import lookout, pathlib; print(pathlib.Path(lookout.__file__).parent)"],
                    cwd=venv).stdout.strip())
    shipped = sorted(str(p.relative_to(site.parent)) for p in site.rglob("*") if p.is_file())
    assert shipped and [p for p in shipped if SYSTEM_TESTS.match(p) or "/tests/" in p] == []


def test_the_demo_finds_its_rule_files_from_the_wheel(venv):
    """The rule files the native demo gives Prometheus (demo/native.py: the generated rules of
    each profile and lookout/remediate/alerts.yml), resolved the way the demo resolves them."""
    script = """
import pathlib, sys, tempfile
from lookout.demo.profiles import PROFILES
from lookout.demo.rules import build_rules
from lookout.devstack.proc import ROOT
alerts = ROOT / "lookout" / "remediate" / "alerts.yml"   # demo/native.py's path for RemediationExhausted
for name, profile in sorted(PROFILES.items()):
    files = build_rules(profile, pathlib.Path(tempfile.mkdtemp()) / "rules") + [alerts]
    missing = [str(f) for f in files if not pathlib.Path(f).is_file()]
    print(name, len(files), "missing:", missing)
    if missing:
        sys.exit(1)
"""
    res = run([str(venv / "bin" / "python"), "-c", script], cwd=venv, check=False)
    assert res.returncode == 0, res.stdout + res.stderr
