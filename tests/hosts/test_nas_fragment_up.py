"""The NAS compose fragment started for real (system tier): deploy/hosts/nas/ copied beside a
tick collector project shaped like smartiesss/datadownloader's docker-compose.yml (service
`timescaledb`, container `eth-collector`, network `crypto_net`, volume `timescaledb_data`, the
password in `.env`), `docker-compose -f docker-compose.yml -f docker-compose.lookout.yml up`,
on an isolated engine with the stand-in images (lookout/devstack/standins.py). The collector is
Lookout's tick writer simulator in lookout:local, the database the TimescaleDB stand-in.

Checked from inside the exporter's container: ticks_up 1, and the containers (read-only
socket, the image's own user plus the socket's group), disk (read-only volume) and table
(the database over the project network) collectors succeed.
"""
from __future__ import annotations

import grp
import os
import shutil
import subprocess

import pytest

from lookout.devstack.docker import DockerEngine
from lookout.devstack.proc import ROOT, wait_until

pytestmark = [pytest.mark.system,
              pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("debootstrap") or not shutil.which("docker-compose"),
                                 reason="needs root, debootstrap and docker-compose (./scripts/install-deps)")]
PROJECT = "lknas"
PASSWORD = "nas-pw-Vq83-Heron"

# The collector's project, reduced to what the fragment refers to; the collector is the tick
# writer simulator standing in for smartiesss/datadownloader's own image.
COLLECTOR = """\
version: '3.8'
services:
  timescaledb:
    image: timescale/timescaledb:2.15.2-pg16
    container_name: eth-timescaledb
    environment:
      POSTGRES_DB: ${POSTGRES_DB:-crypto_data}
      POSTGRES_USER: ${POSTGRES_USER:-postgres}
      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:-changeme}
    volumes:
      - timescaledb_data:/var/lib/postgresql/data
    networks: [crypto_net]
    healthcheck:
      test: ["CMD-SHELL", "pg_isready -U postgres -d crypto_data"]
      interval: 3s
      retries: 20
  collector:
    image: lookout:local
    container_name: eth-collector
    user: "0:0"
    command: ["python", "-m", "lookout.systems.ticks.simulator", "--listen", "0.0.0.0:5002"]
    environment:
      TICK_WRITER_DSN: postgresql://postgres:${POSTGRES_PASSWORD}@timescaledb:5432/crypto_data
    depends_on:
      timescaledb: {condition: service_healthy}
    networks: [crypto_net]
volumes:
  timescaledb_data:
networks:
  crypto_net:
    driver: bridge
"""


def test_fragment_starts_in_the_collectors_project_and_reads_everything(tmp_path):
    from lookout.devstack import standins
    project = tmp_path / "datadownloader"
    project.mkdir()
    (project / "docker-compose.yml").write_text(COLLECTOR)
    (project / ".env").write_text(f"POSTGRES_PASSWORD={PASSWORD}\n")
    for name in ("docker-compose.lookout.yml", "lookout-ticks.yml"):
        shutil.copy(ROOT / "deploy" / "hosts" / "nas" / name, project)

    engine = DockerEngine(isolated=True).start()
    # docs/install.md's DOCKER_GID=$(stat -c %g /var/run/docker.sock): dockerd gives its socket
    # to the `docker` group (Debian's docker.io creates it), else to root's.
    try:
        gid = grp.getgrnam("docker").gr_gid
    except KeyError:
        gid = 0
    env = {**os.environ, "DOCKER_HOST": engine.host, "LOOKOUT_SRC": str(ROOT), "DOCKER_GID": str(gid)}
    compose = ["docker-compose", "-p", PROJECT, "-f", "docker-compose.yml", "-f", "docker-compose.lookout.yml"]
    client = engine.client()
    try:
        standins.import_one(client, "timescale/timescaledb:2.15.2-pg16")
        standins.build_lookout(client, tmp_path)
        up = subprocess.run([*compose, "up", "-d", "--no-build"], cwd=project, env=env, capture_output=True,
                            text=True, timeout=600)
        assert up.returncode == 0, up.stdout + up.stderr
        exporter = client.containers.get("lookout-ticks-exporter")

        def metrics() -> str:
            res = exporter.exec_run(["python", "-c", "import urllib.request; print(urllib.request.urlopen("
                                     "'http://127.0.0.1:9862/metrics', timeout=10).read().decode())"])
            return res.output.decode() if res.exit_code == 0 else ""

        def ok(collector: str) -> str:
            return f'lookout_collector_success{{collector="{collector}",exporter="ticks"}} 1.0'

        wanted = ["ticks_up 1.0", ok("ping"), ok("containers"), ok("disk"), ok("table_eth_option_quotes")]
        try:
            wait_until(lambda: all(w in metrics() for w in wanted), 240, 2, what="every collector succeeding")
        except TimeoutError:
            raise AssertionError(f"{metrics()[-3000:]}\n{exporter.logs(tail=30).decode()}") from None
        text = metrics()
        assert 'ticks_container_running{container="eth-collector"' in text
        assert PASSWORD not in text and PASSWORD not in exporter.logs().decode()
        exporter.reload()
        assert exporter.attrs["Config"]["User"] == "10001" and exporter.attrs["HostConfig"]["ReadonlyRootfs"]
        sock = [m for m in exporter.attrs["Mounts"] if m["Destination"] == "/var/run/docker.sock"]
        assert sock and sock[0]["RW"] is False
    finally:
        down = subprocess.run([*compose, "down", "-v"], cwd=project, env=env, capture_output=True, text=True,
                              timeout=300)
        engine.stop()
    assert down.returncode == 0, down.stderr
