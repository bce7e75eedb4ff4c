"""The proof that a system is one folder (issue 23).

tests/packaging/sixth_system/ is a sixth system unlike the four: a nightly restic cron job,
no server at all, whose only interface is the JSON status file it leaves (docs/adding-a-system.md
is its walk-through). It is laid out exactly as lookout/systems/backup/ would be.

A copy of this checkout (its tracked files, as they are in the work tree, in a fresh git
repository) gets that folder and nothing else. Every generator runs there; then:
- `git status` in the copy: each modified file is a generated one (a DO-NOT-EDIT header, or
  changes only inside a block marked generated), each new file is the folder's or generated;
- every generator's `--check` is clean;
- the whole unit tier (`pytest -m unit`) passes there, importing the copy's code; so do the
  system's own tests (its golden `/metrics`, collector cases, promtool cases);
- its exporter and simulator run from the copy as processes: the exporter serves the summary
  the simulator wrote, and an honest failure once the file is gone.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
import yaml

from lookout.devstack.proc import free_port, promtool_check_metrics, scrape, wait_until
from lookout.systems import SYSTEMS

pytestmark = pytest.mark.integration  # starts generators, pytest and the exporter as processes

ROOT = Path(__file__).resolve().parents[2]
FOLDER = Path(__file__).resolve().parent / "sixth_system"
KEY = "backup"
HOME = f"lookout/systems/{KEY}"
# The generators of a checkout without `lookout generate` (wip/move); with it, that command.
GENERATORS = ("lookout.alert_rules", "lookout.dashboards", "lookout.docs", "lookout.deploy", "lookout.demo.prometheus")
GOLDEN = "tests.golden"  # each exporter's golden `/metrics`: --record re-records TBURN's answers and rewrites them all
DO_NOT_EDIT = re.compile(r"do not edit", re.I)
# A generated block inside a hand-written file (README.md's systems table, docs/alerting.md's model).
BLOCK = re.compile(r"<!--[^\n]*(generated|do not edit)[^\n]*-->\n(.*?)<!-- end[^\n]*-->", re.I | re.S)


def folder_files() -> list[Path]:
    return sorted(p.relative_to(FOLDER) for p in FOLDER.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


class Copy:
    """A copy of the checkout in `root`, run with this checkout's interpreter but only the copy's
    code on the path (PYTHONPATH first, cwd the copy)."""

    def __init__(self, root: Path):
        self.root = root
        self.env = {**{k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PYTEST"))},
                    "PYTHONPATH": str(root), "PYTHONDONTWRITEBYTECODE": "1"}

    def run(self, *args: str, timeout: float = 300, check: bool = True) -> subprocess.CompletedProcess:
        res = subprocess.run([sys.executable, *args], cwd=self.root, env=self.env, capture_output=True, text=True,
                             timeout=timeout)
        if check:
            assert res.returncode == 0, f"{' '.join(args)} exited {res.returncode}:\n{res.stdout[-6000:]}\n{res.stderr[-3000:]}"
        return res

    def git(self, *args: str) -> str:
        return subprocess.run(["git", "-c", "user.name=sixth", "-c", "user.email=sixth@example.invalid", *args],
                              cwd=self.root, check=True, capture_output=True, text=True).stdout

    def has(self, module: str) -> bool:
        return (self.root / (module.replace(".", "/") + ".py")).exists() or \
            (self.root / module.replace(".", "/") / "__init__.py").exists()

    def generate(self, check: bool = False) -> None:
        flag = ["--check"] if check else []
        if self.has("lookout.generate"):
            self.run("-m", "lookout.generate", *flag)
        else:
            for module in GENERATORS:
                self.run("-m", module, *flag)
        self.run("-m", GOLDEN, *(flag or ["--record"]))  # re-records where a simulator runs in-process


@pytest.fixture(scope="module")
def copy(tmp_path_factory) -> Copy:
    root = tmp_path_factory.mktemp("sixth") / "repo"
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True).stdout
    for rel in filter(None, tracked.decode().split("\0")):
        src = ROOT / rel
        if src.is_file() and not src.is_symlink():  # a file deleted in the work tree is left out
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, root / rel)
    node_modules = ROOT / "tests" / "node" / "node_modules"  # installed, not tracked: PM2 for its tests
    if node_modules.exists():
        (root / "tests" / "node" / "node_modules").symlink_to(node_modules)
    c = Copy(root)
    c.git("init", "-q")
    c.git("add", "-A")
    c.git("commit", "-q", "-m", "the checkout as it is")
    assert not (root / HOME).exists(), f"{HOME} already exists"
    shutil.copytree(FOLDER, root / HOME, ignore=shutil.ignore_patterns("__pycache__"))
    where = c.run("-c", "import lookout; print(lookout.__file__)").stdout.strip()
    assert Path(where).is_relative_to(root), f"the copy imports {where}, not its own code"
    c.generate()
    return c


def test_the_system_is_small_and_its_port_is_the_next_free_one():
    files = folder_files()
    lines = sum(len((FOLDER / p).read_text().splitlines()) for p in files)
    print(f"sixth system: {len(files)} files, {lines} lines")
    # The doc's rule, derived: the next port after the registry's highest.
    port = int(re.search(r"port=(\d+)", (FOLDER / "__init__.py").read_text()).group(1))
    assert port == max(s.port for s in SYSTEMS if s.key != KEY) + 1


def test_the_registry_sees_six_systems(copy):
    keys = copy.run("-c", "from lookout.systems import KEYS; print(' '.join(KEYS))").stdout.split()
    assert KEY in keys and len(keys) == len(SYSTEMS) + 1


def generated_only(path: Path, before: str) -> bool:
    """Whether every change to `path` is a generator's: the whole file is generated (its DO-NOT-EDIT
    header), or outside its generated blocks it reads as before."""
    now = path.read_text()
    if BLOCK.search(now):
        return BLOCK.sub("", now) == BLOCK.sub("", before)
    return bool(DO_NOT_EDIT.search("\n".join(now.splitlines()[:5])))


def test_only_new_files_and_generated_files_changed(copy):
    status = [(line[:2], line[3:]) for line in copy.git("status", "--porcelain", "-uall").splitlines()]
    modified = [p for code, p in status if code.strip() != "??"]
    new = [p for code, p in status if code.strip() == "??"]
    edited = [p for p in modified
              if not generated_only(copy.root / p, copy.git("show", f"HEAD:{p}"))]
    assert edited == [], "hand-written files a new system had to change"
    assert all(p.startswith(HOME + "/") or DO_NOT_EDIT.search((copy.root / p).read_text()) for p in new), new
    # ... and they changed because they now cover the backup.
    assert "BackupOverdue" in (copy.root / "lookout/alert_rules/generated/backup.yml").read_text()
    assert "lookout-backup" in (copy.root / "lookout/dashboards/generated/wall.json").read_text()
    prom = yaml.safe_load((copy.root / "prometheus/prometheus.yml").read_text())
    jobs = {j["job_name"]: j for j in prom["scrape_configs"]}
    assert f":{max(s.port for s in SYSTEMS) + 1}" in json.dumps(jobs[KEY])
    assert "`backup_last_success_timestamp_seconds`" in (copy.root / "docs/metrics.md").read_text()


def test_every_generator_is_up_to_date(copy):
    copy.generate(check=True)


def test_the_whole_unit_tier_passes_in_the_copy(copy):
    res = copy.run("-m", "pytest", "-m", "unit", "-q", "-p", "no:cacheprovider", timeout=900, check=False)
    assert res.returncode == 0, res.stdout[-12000:] + res.stderr[-3000:]


def test_the_systems_own_tests_pass_in_the_copy(copy):
    res = copy.run("-m", "pytest", "-q", "-p", "no:cacheprovider", f"{HOME}/tests", timeout=300, check=False)
    assert res.returncode == 0, res.stdout[-8000:] + res.stderr[-3000:]


def test_its_exporter_serves_the_file_and_fails_honestly_without_it(copy, tmp_path):
    status_file = tmp_path / "restic-summary.json"
    sim_port, exp_port = free_port(), free_port()
    sim = subprocess.Popen([sys.executable, "-m", f"lookout.systems.{KEY}.simulator", "--listen",
                            f"127.0.0.1:{sim_port}", "--status-file", str(status_file), "--every", "3600"],
                           cwd=copy.root, env=copy.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    config = tmp_path / "backup.yml"
    config.write_text(yaml.safe_dump({"status_file": str(status_file)}))
    exporter = subprocess.Popen([sys.executable, "-m", f"lookout.systems.{KEY}.exporter", "--config.file", str(config),
                                 "--web.listen-address", f"127.0.0.1:{exp_port}"], cwd=copy.root, env=copy.env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{exp_port}"
        metrics = wait_until(lambda: (m := scrape(url)).get("backup_up") == 1 and m, 30, 0.2, what="backup_up 1")
        summary = json.loads(status_file.read_text())
        assert metrics["backup_last_files_processed"] == summary["total_files_processed"]
        assert metrics["backup_last_duration_seconds"] == pytest.approx(summary["total_duration"])
        assert promtool_check_metrics(metrics.text) == ""
        # The demo's control API: the file is gone, and the exporter says so instead of the last answer.
        request = urllib.request.Request(f"http://127.0.0.1:{sim_port}/_sim/faults/status-lost", data=b"{}",
                                         method="POST", headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 200
        down = wait_until(lambda: (m := scrape(url)).get("backup_up") == 0 and m, 30, 0.2, what="backup_up 0")
        assert down.get("backup_last_success_timestamp_seconds") is None
    finally:
        for proc in (exporter, sim):
            proc.terminate()
            proc.wait(10)
