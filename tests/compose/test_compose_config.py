"""docker-compose.yml, checked without pulling or building anything (CI cannot pull images):
Debian's `docker-compose config` validates it, and the files it mounts are checked by the
tools that will read them (promtool, amtool, the exporters' --check-config)."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from lookout.systems import SYSTEMS

ROOT = Path(__file__).resolve().parents[2]
OFFICIAL = {"prometheus": "prom/prometheus", "alertmanager": "prom/alertmanager", "grafana": "grafana/grafana",
            "tidb": "pingcap/tidb", "timescaledb": "timescale/timescaledb", "sync-server": "node"}
ONE_SHOT = {"alertmanager-config"}


def mounts(service: dict) -> list[tuple[str, str]]:
    """(source, target) of each volume, in either of the forms `docker-compose config` prints."""
    out = []
    for v in service.get("volumes", []):
        if isinstance(v, dict):
            out.append((v["source"], v["target"]))
        else:
            source, target = v.split(":")[:2]
            out.append((source, target))
    return out


@pytest.fixture(scope="module")
def compose() -> dict:
    binary = shutil.which("docker-compose")
    assert binary, "docker-compose (Debian's package) is missing: run ./scripts/install-deps"
    res = subprocess.run([binary, "-f", str(ROOT / "docker-compose.yml"), "config"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, f"docker-compose config rejected the file:\n{res.stderr}"
    return yaml.safe_load(res.stdout)


def test_official_images_are_pinned_by_version(compose):
    services = compose["services"]
    for name, repo in OFFICIAL.items():
        image = services[name]["image"]
        assert image.split(":")[0] == repo, f"{name} runs {image}, not {repo}"
        tag = image.partition(":")[2]
        assert re.search(r"\d+\.\d+", tag) and "latest" not in tag, f"{name}: {image} is not pinned to a version"


def test_lookout_services_share_one_image_built_from_the_repo(compose):
    ours = {n: s for n, s in compose["services"].items() if n not in OFFICIAL}
    assert len(ours) >= 10
    assert {s["image"] for s in ours.values()} == {"lookout:local"}
    assert all(Path(s["build"]["context"]).resolve() == ROOT for s in ours.values())
    assert (ROOT / "Dockerfile").exists()


def test_every_service_has_restart_policy_memory_limit_and_healthcheck(compose):
    for name, s in compose["services"].items():
        assert s.get("mem_limit"), f"{name} has no memory limit"
        if name in ONE_SHOT:
            assert s.get("restart") == "no"
            continue
        assert s.get("restart") == "unless-stopped", f"{name} has no restart policy"
        test = (s.get("healthcheck") or {}).get("test")
        assert test and test[0] in ("CMD", "CMD-SHELL"), f"{name} has no healthcheck"


def test_state_lives_in_named_volumes_and_bind_mounts_exist(compose):
    named = set(compose["volumes"])
    used = set()
    for name, s in compose["services"].items():
        for source, _ in mounts(s):
            if not source.startswith(("/", ".")):
                assert source in named, f"{name} mounts undeclared volume {source}"
                used.add(source)
            elif source != "/var/run/docker.sock":
                assert Path(source).exists(), f"{name} mounts {source}, which is not in the repo"
    assert used == named, f"declared but unused volumes: {named - used}"


def _module_exists(dotted: str) -> bool:
    module = ROOT.joinpath(*dotted.split("."))
    return module.with_suffix(".py").exists() or (module / "__main__.py").exists()


def test_lookout_commands_name_modules_that_exist(compose):
    for name, s in compose["services"].items():
        cmd = s.get("command") or []
        if s["image"] == "lookout:local":
            assert cmd[:2] == ["python", "-m"], f"{name}: {cmd}"
            assert _module_exists(cmd[2]), f"{name}: no module {cmd[2]}"
        probe = (s.get("healthcheck") or {}).get("test", [])
        if probe[1:3] == ["python", "-m"]:
            assert _module_exists(probe[3]), f"{name}'s healthcheck: no module {probe[3]}"


def test_prometheus_config_is_generated_from_the_registry():
    res = subprocess.run([sys.executable, "-m", "lookout.demo.prometheus", "--check"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert (ROOT / "prometheus" / "prometheus.yml").read_text().startswith("# DO NOT EDIT")


def test_prometheus_config_and_the_rules_it_loads_pass_promtool(compose, tmp_path):
    cfg = yaml.safe_load((ROOT / "prometheus" / "prometheus.yml").read_text())
    # The container sees alert_rules/ at /etc/prometheus/rules; promtool here reads the repo's copy.
    source = next(src for src, dst in mounts(compose["services"]["prometheus"]) if dst == "/etc/prometheus/rules")
    cfg["rule_files"] = [p.replace("/etc/prometheus/rules", str(ROOT / source)) for p in cfg["rule_files"]]
    for pattern in cfg["rule_files"]:
        loaded = sorted(Path(pattern).parent.glob(Path(pattern).name))
        assert loaded, f"prometheus.yml loads {pattern}, which matches no file the alert rule generator writes"
    # Every system's rule file is among them (the generator writes one per system).
    names = {p.name for pattern in cfg["rule_files"] for p in Path(pattern).parent.glob(Path(pattern).name)}
    assert {f"{s.key}.yml" for s in SYSTEMS} <= names, names
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(cfg))
    res = subprocess.run(["promtool", "check", "config", str(tmp_path / "prometheus.yml")], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    jobs = {j["job_name"]: j["static_configs"][0]["targets"][0] for j in cfg["scrape_configs"]}
    for system in SYSTEMS:
        service = f"{system.key}-exporter"
        assert jobs[system.job] == f"{service}:{system.port}" and service in compose["services"]
        command = compose["services"][service]["command"]
        assert f"0.0.0.0:{system.port}" in command and system.exporter_module in command


def test_alertmanager_config_the_one_shot_writes_passes_amtool(compose, tmp_path):
    out = tmp_path / "alertmanager.yml"
    cmd = compose["services"]["alertmanager-config"]["command"]
    args = [a if a != "/config/alertmanager.yml" else str(out) for a in cmd[3:]]
    res = subprocess.run([sys.executable, "-m", cmd[2], *args], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    check = subprocess.run(["amtool", "check-config", str(out)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    written = yaml.safe_load(out.read_text())
    urls = [w["url"] for r in written["receivers"] for w in r["webhook_configs"]]
    assert urls and all(u.startswith("http://webhook:9095/") for u in urls)


@pytest.mark.parametrize("system", SYSTEMS, ids=lambda s: s.key)
def test_exporter_configs_pass_check_config(compose, system, tmp_path):
    service = compose["services"][f"{system.key}-exporter"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for key, value in (service.get("environment") or {}).items():
        if key.endswith("_FILE") and value.startswith("/run/secrets/"):
            value = compose["secrets"][value.rsplit("/", 1)[1]]["file"]
        env[key] = value
    res = subprocess.run([sys.executable, "-m", system.exporter_module, "--config",
                          str(ROOT / "lookout" / "systems" / system.key / "compose.yml"), "--check-config"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert "configuration OK" in res.stdout
