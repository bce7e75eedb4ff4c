"""A fifth system is only new files: docs/adding-a-system.md's worked example (the files under
docs/examples/fifth-system/, laid out as in the repo) is dropped into a copy of the repo; the
generators, the lints and a scrape then run there, and no existing hand-written file changes.
Only generated outputs (rules, dashboards, Prometheus config, README's table, docs/metrics.md)
may differ, and only because they gained the new system.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from lookout.devstack.proc import free_port, promtool_check_metrics, scrape, wait_until

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "docs" / "examples" / "fifth-system"
IGNORE = shutil.ignore_patterns(".git", ".venv", "node_modules", "__pycache__", "build", "*.egg-info",
                                ".pytest_cache", ".hypothesis", "*.pyc")
GENERATORS = ["lookout.alert_rules", "lookout.dashboards", "lookout.demo.prometheus", "lookout.docs",
              "lookout.deploy"]
# Outputs of GENERATORS: the only existing files a new system may change.
GENERATED = re.compile(r"^(lookout/alert_rules/generated/.*|lookout/dashboards/generated/.*|prometheus/prometheus\.yml"
                       r"|prometheus/alertmanager\.yml|README\.md|docs/metrics\.md|deploy/.*)$")


def digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts}


def template_files() -> list[Path]:
    return sorted(p.relative_to(TEMPLATE) for p in TEMPLATE.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


class Repo:
    def __init__(self, root: Path):
        self.root = root
        self.env = {**{k: v for k, v in os.environ.items() if k != "PYTHONPATH"}, "PYTHONPATH": str(root)}

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        res = subprocess.run([sys.executable, *args], cwd=self.root, env=self.env, capture_output=True, text=True,
                             timeout=timeout)
        assert res.returncode == 0, f"{' '.join(args)} exited {res.returncode}:\n{res.stdout}\n{res.stderr}"
        return res


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    root = tmp_path_factory.mktemp("fifth") / "repo"
    shutil.copytree(ROOT, root, ignore=IGNORE)
    before = digest(root)
    for rel in template_files():
        assert not (root / rel).exists(), f"{rel} already exists: the example must only add files"
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(TEMPLATE / rel, root / rel)
    r = Repo(root)
    where = r.run("-c", "import lookout; print(lookout.__file__)").stdout.strip()
    assert Path(where).is_relative_to(root), where
    for module in GENERATORS:
        r.run("-m", module)
    r.before, r.after = before, digest(root)
    return r


def test_the_example_is_small():
    lines = sum(len((TEMPLATE / rel).read_text().splitlines()) for rel in template_files())
    print(f"fifth system: {len(template_files())} new files, {lines} lines")
    assert lines <= 300


def test_registry_sees_five_systems(repo):
    keys = repo.run("-c", "from lookout.systems import KEYS; print(' '.join(KEYS))").stdout.split()
    assert keys[-1] == "toy" and len(keys) == 5


def test_no_existing_file_had_to_change(repo):
    changed = sorted(p for p, h in repo.before.items() if repo.after.get(p) != h)
    assert [p for p in changed if not GENERATED.match(p)] == []
    # ... and the generated outputs changed because they now cover the toy system.
    for path in ("lookout/alert_rules/generated/toy.yml", "lookout/dashboards/generated/toy.json"):
        assert path in repo.after and path not in repo.before, path
    assert "ToyQueueBacklog" in (repo.root / "lookout/alert_rules/generated/toy.yml").read_text()
    prom = yaml.safe_load((repo.root / "prometheus/prometheus.yml").read_text())
    assert {"job_name": "toy", "static_configs": [{"targets": ["toy-exporter:9865"]}]} in prom["scrape_configs"]
    assert "`lookout-toy`" in (repo.root / "README.md").read_text()
    assert "`toy_queue_depth`" in (repo.root / "docs/metrics.md").read_text()
    assert "lookout-toy" in (repo.root / "lookout/dashboards/generated/wall.json").read_text()


def test_generators_agree_and_lints_pass(repo):
    for module in GENERATORS:
        repo.run("-m", module, "--check")
    rules = sorted(str(p) for p in (repo.root / "lookout/alert_rules/generated").glob("*.yml"))
    res = subprocess.run(["promtool", "check", "rules", *rules], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    # The repo's own rule lints and dashboard checks, run in the copy that holds the toy system.
    repo.run("-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/alerts/test_rules_lint.py",
             "-k", "test_alert_rule or test_promql", "tests/dashboards/test_generation.py", "tests/dashboards/test_wall.py",
             timeout=600)


def test_a_scrape_of_the_toy_exporter(repo, tmp_path):
    sim_port, exp_port = free_port(), free_port()
    env = repo.env
    sim = subprocess.Popen([sys.executable, "-m", "lookout.systems.toy.simulator", "--listen", f"127.0.0.1:{sim_port}"],
                           cwd=repo.root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    config = tmp_path / "toy.yml"
    config.write_text(yaml.safe_dump({"base_url": f"http://127.0.0.1:{sim_port}"}))
    exporter = subprocess.Popen([sys.executable, "-m", "lookout.systems.toy.exporter", "--config", str(config),
                                 "--listen", f"127.0.0.1:{exp_port}"], cwd=repo.root, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{exp_port}"
        metrics = wait_until(lambda: (m := scrape(url)).get("toy_up") == 1 and m, 30, 0.2, what="toy_up 1")
        # The simulator's /stats without a fault: {"queue_depth": 3, "workers": 4}.
        assert metrics["toy_queue_depth"] == 3 and metrics["toy_workers"] == 4
        assert promtool_check_metrics(metrics.text) == ""
        sim.terminate()
        sim.wait(10)
        down = wait_until(lambda: (m := scrape(url)).get("toy_up") == 0 and m, 30, 0.2, what="toy_up 0")
        assert down.get("toy_queue_depth") is None  # an honest failure, not the last answer again
    finally:
        for proc in (exporter, sim):
            proc.terminate()
            proc.wait(10)
