"""`lookout generate [--check]` runs every generator: on the checkout nothing is stale; in a
copy where generated files were hand-edited, --check names each one and exits 1, and a plain
run mends them all."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from lookout import generate

ROOT = Path(__file__).resolve().parents[2]


def _lookout(*args: str, cwd: Path, root: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([sys.executable, "-c", "import sys; from lookout.cli.__main__ import main; sys.exit(main())",
                           *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_every_generator_is_run():
    modules = [m for m, _ in generate.GENERATORS]
    assert modules == ["lookout.alert_rules", "lookout.dashboards", "lookout.docs", "lookout.deploy",
                       "lookout.demo.prometheus", "lookout.compose"]


def test_nothing_is_stale_in_the_checkout():
    run = _lookout("generate", "--check", cwd=ROOT, root=ROOT)
    assert run.returncode == 0, run.stderr


def test_check_names_each_stale_file_and_generate_mends_them(tmp_path):
    files = subprocess.run(["git", "ls-files", "lookout", "README.md", "docs", "deploy", "prometheus",
                            "docker-compose.yml", "pyproject.toml"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.split()
    for rel in files:
        if (ROOT / rel).is_file():
            (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, tmp_path / rel)
    edited = {"docker-compose.yml": ("mem_limit: 1g", "mem_limit: 3g"),
              "docs/alerting.md": ("| TicksStale | table, container | TickRateLow", "| TicksStale | table, container | -"),
              "deploy/hosts/nectar/lookout-nectar.service": ("MemoryMax=256M", "MemoryMax=1G")}
    for rel, (old, new) in edited.items():
        text = (tmp_path / rel).read_text()
        assert old in text, rel
        (tmp_path / rel).write_text(text.replace(old, new, 1))
    run = _lookout("generate", "--check", cwd=tmp_path, root=tmp_path)
    assert run.returncode == 1, run.stderr
    stale = sorted(line.split(" is out of date")[0] for line in run.stderr.splitlines() if "is out of date" in line)
    assert stale == sorted(str(tmp_path / rel) for rel in edited), run.stderr
    assert (tmp_path / "docker-compose.yml").read_text() != (ROOT / "docker-compose.yml").read_text()   # --check wrote nothing
    run = _lookout("generate", cwd=tmp_path, root=tmp_path)
    assert run.returncode == 0, run.stderr
    for rel in edited:
        assert (tmp_path / rel).read_text() == (ROOT / rel).read_text(), rel
    assert _lookout("generate", "--check", cwd=tmp_path, root=tmp_path).returncode == 0
