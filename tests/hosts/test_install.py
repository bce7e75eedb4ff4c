"""The per-host installation files of deploy/hosts/ (docs/install.md), run as far as this
machine allows: the PM2 entry under real PM2 scraped by a real Prometheus, the systemd unit
through `systemd-analyze verify`, the launchd plist through plistlib (no macOS here), the NAS
compose fragment merged into a copy of the tick collector's own compose file by Compose."""
from __future__ import annotations

import os
import plistlib
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from lookout.devstack.pm2 import PM2
from lookout.devstack.prometheus_server import PrometheusServer
from lookout.devstack.proc import ROOT, free_port, http_get, scrape, wait_until
from lookout.systems import by_key

HOSTS = ROOT / "deploy" / "hosts"
VENV = ROOT / ".venv"
APP = "lookout-pm2-exporter"


def lookout_home(tmp: Path, port: int) -> Path:
    """$LOOKOUT_HOME as docs/install.md lays it out (venv/, etc/pm2.yml, logs/), the venv being
    this checkout's."""
    home = tmp / "lookout-home"
    (home / "etc").mkdir(parents=True)
    (home / "logs").mkdir()
    (home / "venv").symlink_to(VENV)
    # docs/install.md's pm2.yml, with a loopback port for the test; daemon.home is left to
    # PM2_HOME, which PM2 gives every app it starts.
    (home / "etc" / "pm2.yml").write_text(yaml.safe_dump({
        "web": {"listen_address": f"127.0.0.1:{port}"},
        "health": None,
        "sync_log": {"enabled": False},
    }))
    return home


def app(pm2: PM2) -> dict:
    return pm2.by_name(pm2.jlist(), APP)


def test_pm2_entry_runs_under_pm2_is_scraped_and_survives_restart_all(tmp_path):
    port = free_port()
    home = lookout_home(tmp_path, port)
    pm2 = PM2(tmp_path / "pm2home", env={"LOOKOUT_HOME": str(home)})
    try:
        pm2.run("start", str(HOSTS / "mac-mini" / "ecosystem.config.js"))
        entry = app(pm2)
        # What the file declares, as PM2 read it.
        env = entry["pm2_env"]
        assert env["max_memory_restart"] == 90 * 1024 * 1024
        assert env["pm_out_log_path"] == str(home / "logs" / "lookout-pm2.out.log")
        with PrometheusServer({"pm2": [f"127.0.0.1:{port}"]}) as prom:
            def scraped_up():
                result = prom.query('pm2_up{job="pm2"}')["data"]["result"]
                return result and result[0]["value"][1] == "1"
            wait_until(scraped_up, 30, what="Prometheus to scrape pm2_up 1 from the PM2-run exporter")
            first_pid = app(pm2)["pid"]

            pm2.run("restart", "all")
            wait_until(lambda: app(pm2)["pid"] not in (0, first_pid) and app(pm2)["pm2_env"]["status"] == "online",
                       20, what="the exporter back online under a new pid")
            restarted_at = time.time()
            wait_until(lambda: http_get(f"http://127.0.0.1:{port}/-/ready", timeout=2)[0] == 200, 20,
                       what="the restarted exporter to serve")

            # Steady state, scraped every second by Prometheus and by us: PM2's worker checks
            # max_memory_restart every second here (PM2_WORKER_INTERVAL), so a limit too low
            # would restart it within this window.
            pid, restarts = app(pm2)["pid"], app(pm2)["pm2_env"]["restart_time"]
            deadline = time.time() + 20
            while time.time() < deadline:
                scrape(f"http://127.0.0.1:{port}")
                time.sleep(0.5)
            after = app(pm2)
            assert (after["pid"], after["pm2_env"]["restart_time"]) == (pid, restarts)
            assert after["monit"]["memory"] < 90 * 1024 * 1024
            # The one restart is ours (`pm2 restart all`), none by the memory limit.
            assert after["pm2_env"]["restart_time"] == 1

            # Prometheus saw it up again after the restart.
            def up_since_restart():
                result = prom.query(f'max_over_time(pm2_up{{job="pm2"}}[{int(time.time() - restarted_at) + 1}s])')
                return result["data"]["result"] and result["data"]["result"][0]["value"][1] == "1"
            assert up_since_restart()
            assert prom.query('up{job="pm2"}')["data"]["result"][0]["value"][1] == "1"
        assert (home / "logs" / "lookout-pm2.err.log").exists()
    finally:
        pm2.kill_all()


def test_launchd_plist_parses_and_its_command_serves(tmp_path):
    """plistlib is what reads it here; launchd itself (macOS) is not available."""
    path = HOSTS / "mac-mini" / "io.lookout.pm2-exporter.plist"
    plist = plistlib.loads(path.read_bytes())
    assert plist["Label"] == path.stem
    assert plist["RunAtLoad"] is True and plist["KeepAlive"] is True
    args = plist["ProgramArguments"]
    assert args[0] == "/opt/lookout/venv/bin/lookout-pm2"
    # The same command, under this machine's prefix, starts an exporter that serves.
    port = free_port()
    home = lookout_home(tmp_path, port)
    pm2 = PM2(tmp_path / "pm2home")
    try:
        pm2.start(ROOT / "lookout" / "systems" / "pm2" / "tests" / "apps" / "idle.js", "idle")
        command = [a.replace("/opt/lookout", str(home)) for a in args]
        proc = subprocess.Popen(command, env={**os.environ, **plist["EnvironmentVariables"],
                                              "PM2_HOME": str(pm2.home)},
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            wait_until(lambda: http_get(f"http://127.0.0.1:{port}/-/ready", timeout=2)[0] == 200, 20,
                       what="the plist's command to serve")
            assert scrape(f"http://127.0.0.1:{port}").get("pm2_up") == 1
        finally:
            proc.terminate()
            proc.wait(10)
    finally:
        pm2.kill_all()


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze missing: ./scripts/install-deps")
@pytest.mark.parametrize("system", ["nectar", "tburn"])
def test_systemd_unit_verifies(tmp_path, system):
    """`systemd-analyze verify` checks every key and that ExecStart exists; only the install
    prefix is replaced by this checkout's venv so that it does."""
    unit = (HOSTS / system / f"lookout-{system}.service").read_text()
    assert f"ExecStart=/opt/lookout/venv/bin/lookout-{system} " in unit
    copy = tmp_path / f"lookout-{system}.service"
    copy.write_text(unit.replace("/opt/lookout/venv", str(VENV)))
    res = subprocess.run(["systemd-analyze", "verify", str(copy)], capture_output=True, text=True, timeout=60)
    assert (res.returncode, res.stderr, res.stdout) == (0, "", "")
    # The hardening the issue asks for is in it (verify has accepted each of these keys).
    text = unit
    for line in (f"User=lookout-{system}", "ProtectSystem=strict", "ProtectHome=tmpfs", "NoNewPrivileges=yes"):
        assert line in text.splitlines()
    if system == "nectar":
        assert "BindReadOnlyPaths=/root/workspace/cardano-stack/Nectar/unified_errors.log" in text.splitlines()


def test_systemd_verify_catches_a_misspelt_key(tmp_path):
    """The check above can fail: a misspelt hardening key is reported."""
    unit = (HOSTS / "nectar" / "lookout-nectar.service").read_text().replace("ProtectClock", "ProtectClok")
    copy = tmp_path / "lookout-nectar.service"
    copy.write_text(unit.replace("/opt/lookout/venv", str(VENV)))
    res = subprocess.run(["systemd-analyze", "verify", str(copy)], capture_output=True, text=True, timeout=60)
    assert "Unknown key 'ProtectClok'" in res.stderr


# The tick collector's compose project as smartiesss/datadownloader ships it (docker-compose.yml,
# commit 024555f), reduced to what the fragment refers to.
COLLECTOR_COMPOSE = """\
version: '3.8'
services:
  timescaledb:
    image: timescale/timescaledb:latest-pg16
    container_name: eth-timescaledb
    environment:
      POSTGRES_DB: ${POSTGRES_DB:-crypto_data}
      POSTGRES_USER: ${POSTGRES_USER:-postgres}
      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:-changeme}
    volumes:
      - timescaledb_data:/var/lib/postgresql/data
    networks:
      - crypto_net
  collector:
    build:
      context: .
    container_name: eth-collector
    networks:
      - crypto_net
volumes:
  timescaledb_data:
networks:
  crypto_net:
    driver: bridge
"""


@pytest.mark.skipif(not shutil.which("docker-compose"), reason="docker-compose missing: ./scripts/install-deps")
def test_nas_fragment_merges_into_the_collectors_project(tmp_path):
    shutil.copy(HOSTS / "nas" / "docker-compose.lookout.yml", tmp_path)
    shutil.copy(HOSTS / "nas" / "lookout-ticks.yml", tmp_path)
    (tmp_path / "docker-compose.yml").write_text(COLLECTOR_COMPOSE)
    password = "nas-pw-7Hq2-Walrus"
    (tmp_path / ".env").write_text(f"POSTGRES_PASSWORD={password}\n")
    env = {**os.environ, "LOOKOUT_SRC": str(ROOT), "DOCKER_GID": "998"}
    res = subprocess.run(["docker-compose", "-f", "docker-compose.yml", "-f", "docker-compose.lookout.yml", "config"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    service = yaml.safe_load(res.stdout)["services"]["lookout-ticks"]
    assert service["build"]["context"] == str(ROOT)
    assert "/var/run/docker.sock:/var/run/docker.sock:ro" in [
        v if isinstance(v, str) else f"{v['source']}:{v['target']}:ro" * bool(v.get("read_only")) for v in service["volumes"]]
    assert list(service["networks"]) == ["crypto_net"]
    assert service["environment"]["TICKS_DATABASE__PASSWORD"] == password
    assert service["read_only"] is True and service["cap_drop"] == ["ALL"]
    assert f"{by_key('ticks').port}" in str(service["ports"])
    # Without the .env password Compose refuses, naming it.
    (tmp_path / ".env").unlink()
    res = subprocess.run(["docker-compose", "-f", "docker-compose.yml", "-f", "docker-compose.lookout.yml", "config"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert res.returncode != 0 and "POSTGRES_PASSWORD" in res.stderr


def test_ticks_config_of_the_fragment_passes_check_config(tmp_path):
    env = {**os.environ, "TICKS_DATABASE__DSN": "postgresql://postgres@timescaledb:5432/crypto_data",
           "TICKS_DATABASE__PASSWORD": "x-secret-pw"}
    res = subprocess.run([str(VENV / "bin" / "lookout-ticks"), "--config.file", str(HOSTS / "nas" / "lookout-ticks.yml"),
                          "--check-config"], env=env, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert "containers" in res.stdout and "disk" in res.stdout
