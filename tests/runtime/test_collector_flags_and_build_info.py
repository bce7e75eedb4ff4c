"""`--collector.<name>` / `--no-collector.<name>` over the file's switches (node_exporter's
flags), and `<ns>_build_info{version, revision, python_version}`.

Real exporter processes with their backends absent (port 1): every configured collector still
reports `lookout_collector_success`, which is what shows whether it was built. Expected values
come from elsewhere: the revision from git, the version from the package metadata.
"""
from __future__ import annotations

import importlib.metadata
import platform
import subprocess
import sys

import pytest
import yaml

from lookout.devstack.proc import ROOT, ExporterProcess, scrape

CONFIGS = {
    "nectar": {"database": {"host": "127.0.0.1", "port": 1, "connect_timeout_seconds": 0.5}},
    "ticks": {"database": {"dsn": "postgresql://lookout@127.0.0.1:1/ticks", "connect_timeout_seconds": 0.5}},
    "pm2": {"daemon": {"home": "{tmp}/pm2-home"}, "health": None, "host": {"enabled": False}},
    "tburn": {"base_url": "http://127.0.0.1:1"},
}


def config(tmp_path, key: str, **extra) -> str:
    cfg = yaml.safe_load(yaml.safe_dump(CONFIGS[key]).replace("{tmp}", str(tmp_path)))
    cfg.update(extra)
    path = tmp_path / f"{key}.yml"
    path.write_text(yaml.safe_dump(cfg))
    return str(path)


def check(key: str, path: str, *flags: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", f"lookout.systems.{key}.exporter", "--config.file", path, *flags,
                           "--check-config"], cwd=ROOT, capture_output=True, text=True, timeout=60)


def collectors_of(exporter: ExporterProcess, key: str) -> set[str]:
    return {s.labels["collector"] for s in scrape(exporter.url).all("lookout_collector_success")
            if s.labels["exporter"] == key}


def test_flags_turn_collectors_on_and_off_over_the_file(tmp_path):
    # The file turns `host` off; the flag turns it back on. `sync_log` is on by default; the flag turns it off.
    e = ExporterProcess("pm2", config(tmp_path, "pm2"), tmp_path,
                        extra_args=["--collector.host", "--no-collector.sync_log"]).wait_ready()
    try:
        assert collectors_of(e, "pm2") == {"processes", "host"}
    finally:
        e.stop()
    e = ExporterProcess("pm2", config(tmp_path, "pm2"), tmp_path).wait_ready()
    try:
        assert collectors_of(e, "pm2") == {"processes", "sync_log"}
    finally:
        e.stop()


def test_tburn_endpoint_off_by_default_turned_on_and_another_off(tmp_path):
    res = check("tburn", config(tmp_path, "tburn"), "--collector.db_pool", "--no-collector.pipeline")
    assert res.returncode == 0, res.stderr
    listed = res.stdout.split("collectors: ")[1].rstrip(")\n").split(", ")
    assert "db_pool" in listed and "pipeline" not in listed and "health" in listed


@pytest.mark.parametrize("key, flag, words", [
    ("pm2", "--no-collector.processes", "--no-collector.processes: cannot be turned off: it decides pm2_up"),
    ("nectar", "--no-collector.ping", "--no-collector.ping: cannot be turned off: it decides nectar_up"),
    ("tburn", "--no-collector.health", "--no-collector.health: cannot be turned off: it decides tburn_up"),
    ("nectar", "--collector.app", "--collector.app: its section is missing from the configuration file"),
    ("ticks", "--collector.containers", "--collector.containers: its section is missing"),
])
def test_impossible_choices_exit_2_naming_the_flag(tmp_path, key, flag, words):
    res = check(key, config(tmp_path, key), flag)
    assert res.returncode == 2 and words in res.stderr, res.stderr
    assert "Traceback" not in res.stderr


def test_an_unknown_collector_is_a_usage_error(tmp_path):
    res = check("pm2", config(tmp_path, "pm2"), "--collector.nope")
    assert res.returncode == 2 and "unrecognized arguments: --collector.nope" in res.stderr


@pytest.mark.parametrize("key", sorted(CONFIGS))
def test_every_exporter_lists_its_collector_flags(key):
    res = subprocess.run([sys.executable, "-m", f"lookout.systems.{key}.exporter", "--help"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    # The first collector of each is its reachability probe.
    first = {"nectar": "ping", "ticks": "ping", "pm2": "processes", "tburn": "health"}[key]
    assert f"--collector.{first}, --no-collector.{first}" in res.stdout


def test_build_info_names_version_revision_and_python(tmp_path):
    revision = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    e = ExporterProcess("tburn", config(tmp_path, "tburn"), tmp_path).wait_ready()
    try:
        [info] = scrape(e.url).all("tburn_build_info")
    finally:
        e.stop()
    assert info.value == 1
    assert info.labels == {"version": importlib.metadata.version("lookout"), "revision": revision,
                           "python_version": platform.python_version()}
