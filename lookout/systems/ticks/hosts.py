"""Where the tick collector's exporter is installed (runbook 002, docs/install.md): on the NAS,
as one more service of the collector's own compose project.

    deploy/hosts/nas/docker-compose.lookout.yml     the fragment for that project
    deploy/hosts/nas/lookout-ticks.yml              the exporter's config for it

The collector's service, container and network names are those of smartiesss/datadownloader's
docker-compose.yml (commit 024555f): service `timescaledb`, container `eth-collector`, network
`crypto_net`, volume `timescaledb_data`, database settings from the project's `.env`
(POSTGRES_USER, POSTGRES_DB, POSTGRES_PASSWORD).
"""
from __future__ import annotations

import yaml

from . import SYSTEM

HOST = "nas.example.internal"
MACHINE = "NAS (tick collector in Docker + TimescaleDB)"


def compose_fragment() -> str:
    port = SYSTEM.port
    service = {
        "build": {"context": "${LOOKOUT_SRC:?set LOOKOUT_SRC to a Lookout checkout (the Dockerfile)}"},
        "image": "lookout:local",
        "container_name": "lookout-ticks-exporter",
        "restart": "unless-stopped",
        "mem_limit": "128m",
        # The image's own user; the socket's group lets it read the Docker API (read-only mount).
        "user": "10001",
        "group_add": ["${DOCKER_GID:?set DOCKER_GID to the group owning /var/run/docker.sock}"],
        "read_only": True,
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges:true"],
        "command": ["lookout-ticks", "--config.file", "/etc/lookout/ticks.yml", "--web.listen-address", f":{port}"],
        "environment": {
            # The collector's own .env: the same user and database, the password never in a file here.
            "TICKS_DATABASE__DSN": "postgresql://${POSTGRES_USER:-postgres}@timescaledb:5432/${POSTGRES_DB:-crypto_data}",
            "TICKS_DATABASE__PASSWORD": "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in .env}",
        },
        "volumes": [
            "./lookout-ticks.yml:/etc/lookout/ticks.yml:ro",
            "/var/run/docker.sock:/var/run/docker.sock:ro",
            "timescaledb_data:/var/lib/postgresql/data:ro",   # disk usage of the database volume
        ],
        "ports": [f"{port}:{port}"],   # the central Prometheus scrapes it (docs/deploying.md, firewall)
        "networks": ["crypto_net"],      # reaches timescaledb by its service name
        "depends_on": ["timescaledb"],
        "healthcheck": {
            "test": ["CMD", "python", "-m", "lookout.demo.healthcheck", f"http://127.0.0.1:{port}/-/healthy"],
            "interval": "30s", "timeout": "5s", "retries": 3, "start_period": "20s",
        },
    }
    header = ("# Adds lookout-ticks to the tick collector's own compose project (runbook 002):\n"
              "#   cp docker-compose.lookout.yml lookout-ticks.yml <the collector's project dir>/\n"
              "#   LOOKOUT_SRC=/path/to/lookout DOCKER_GID=$(stat -c %g /var/run/docker.sock) \\\n"
              "#     docker-compose -f docker-compose.yml -f docker-compose.lookout.yml up -d --build lookout-ticks\n")
    return header + yaml.safe_dump({"services": {"lookout-ticks": service}}, sort_keys=False, width=120)


def ticks_config() -> str:
    return """\
# lookout-ticks in the tick collector's compose project (docker-compose.lookout.yml).
# The DSN and password come from the environment the fragment sets from the project's .env.
tables:
  - name: eth_option_quotes
    time_column: timestamp
    instrument_column: instrument
    window_seconds: 300
docker:
  containers: [eth-collector]     # container_name in the collector's docker-compose.yml
disk:
  paths: [/var/lib/postgresql/data]
"""


def files() -> dict[str, str]:
    return {"hosts/nas/docker-compose.lookout.yml": compose_fragment(),
            "hosts/nas/lookout-ticks.yml": ticks_config()}
