"""A bad action or guard exits 2 naming the key, without a traceback and without a secret;
--check-config has no side effect."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml

from lookout.devstack.proc import ROOT

GOOD = {"type": "docker_restart", "alerts": ["TicksStale"], "target": "tick-collector"}


def run(tmp_path, config: dict, *extra: str, env: dict | None = None) -> subprocess.CompletedProcess:
    path = tmp_path / "remediate.yml"
    path.write_text(yaml.safe_dump(config))
    return subprocess.run([sys.executable, "-m", "lookout.remediate", "--config", str(path), "--check-config", *extra],
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("config, key", [
    ({"actions": {"a": {**GOOD, "type": "shell"}}}, "actions.a.type"),
    ({"actions": {"a": {**GOOD, "alerts": []}}}, "actions.a.alerts"),
    ({"actions": {"a": {**GOOD, "timeout_seconds": 0}}}, "actions.a.timeout_seconds"),
    ({"actions": {"a": {**GOOD, "target": ""}}}, "actions.a.target"),
    ({"actions": {"a": {**GOOD, "target": "", "target_label": "container"}}}, "actions.a.allowed"),
    ({"actions": {"a": {**GOOD, "max_old_space_size_mb": 128}}}, "actions.a.max_old_space_size_mb"),
    ({"actions": {"a": {**GOOD, "type": "http"}}}, "actions.a.url"),
    ({"actions": {"a": {**GOOD, "type": "http", "url": "http://t:5000"}}}, "actions.a.steps"),
    ({"actions": {"a": {**GOOD, "type": "http", "url": "http://t", "steps": [{"path": "api"}]}}},
     "actions.a.steps[0].path"),
    ({"actions": {"a": {**GOOD, "type": "systemd_restart", "target": "tidb; reboot"}}}, "actions.a.target"),
    ({"actions": {"a": {**GOOD, "colour": "red"}}}, "actions.a.colour"),
    ({"actions": {"Bad Name": GOOD}}, "actions.Bad Name"),
    ({"max_attempts": 0}, "max_attempts"),
    ({"recent": -1}, "recent"),
    ({"dry_run": "maybe"}, "dry_run"),
    ({"actions": {"a": {**GOOD, "cookie_file": "/nonexistent/cookie"}}}, "actions.a.cookie_file"),
])
def test_bad_config_exits_2_naming_the_key(tmp_path, config, key):
    res = run(tmp_path, config)
    assert res.returncode == 2, res.stdout + res.stderr
    assert f"configuration error: {key}" in res.stderr
    assert "Traceback" not in res.stderr


def test_check_config_accepts_the_documented_example_and_writes_nothing(tmp_path):
    example = yaml.safe_load((ROOT / "lookout" / "remediate" / "example.yml").read_text())
    for action in example["actions"].values():  # the example reads credentials from files
        for key in [k for k in action if k.endswith("_file")]:
            (tmp_path / key).write_text("x" * 12)
            action[key] = str(tmp_path / key)
    example["audit_log"] = str(tmp_path / "audit" / "remediate.jsonl")
    res = run(tmp_path, example)
    assert res.returncode == 0, res.stderr
    assert "dry-run" in res.stdout
    assert not (tmp_path / "audit").exists()


def test_the_environment_turns_it_off_and_a_secret_is_never_echoed(tmp_path):
    res = run(tmp_path, {"actions": {"a": GOOD}}, env={"REMEDIATE_ENABLED": "false"})
    assert res.returncode == 0 and "OFF" in res.stdout
    secret = "tburn-session-Kx9-secret"
    bad = {**GOOD, "type": "http", "url": "http://t:5000", "steps": [{"path": "/x"}], "cookie": secret,
           "timeout_seconds": "soon"}
    res = run(tmp_path, {"actions": {"a": bad}})
    assert res.returncode == 2 and "actions.a.timeout_seconds" in res.stderr
    assert secret not in res.stderr + res.stdout


def test_the_exporters_standard_flags_override_the_file(tmp_path):
    res = run(tmp_path, {"web": {"telemetry_path": "/metrics"}}, "--web.telemetry-path", "metrics")
    assert res.returncode == 2 and "configuration error: web.telemetry_path" in res.stderr
    res = run(tmp_path, {}, "--web.listen-address", "nowhere")
    assert res.returncode == 2 and "web.listen_address" in res.stderr
