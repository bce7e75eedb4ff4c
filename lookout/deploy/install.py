"""Per-host installation files (docs/install.md): how each exporter is kept running on the
host of the system it watches, in that host's own service manager.

    deploy/hosts/mac-mini/ecosystem.config.js       PM2 app entry for lookout-pm2 (runbook 003's PM2)
    deploy/hosts/mac-mini/io.lookout.pm2-exporter.plist   the same as a launchd agent
    deploy/hosts/nectar/lookout-nectar.service      hardened systemd unit (runbook 000's host)
    deploy/hosts/tburn/lookout-tburn.service        the same for TBURN's host (runbook 004)
    deploy/hosts/nas/docker-compose.lookout.yml     fragment for the tick collector's own compose project
    deploy/hosts/nas/lookout-ticks.yml              the ticks exporter's config for that project

Ports come from the registry (lookout.systems). The tick collector's service, container and
network names are those of smartiesss/datadownloader's docker-compose.yml (commit 024555f):
service `timescaledb`, container `eth-collector`, network `crypto_net`, volume
`timescaledb_data`, database settings from the project's `.env` (POSTGRES_USER, POSTGRES_DB,
POSTGRES_PASSWORD).
"""
from __future__ import annotations

import plistlib

import yaml

from lookout.systems import by_key

# Where the wheel goes on each host (docs/install.md). One prefix, so each file names it once.
PREFIX = "/opt/lookout"
# PM2's memory limit for the exporter: the measured steady RSS is 42.8 MB (docs/deploying.md,
# bench/pm2_footprint.py); the limit leaves room for a scrape burst, and is under the 100 MB
# the Mac Mini has free (runbook 003).
PM2_MAX_MEMORY = "90M"


def ecosystem_js() -> str:
    port = by_key("pm2").port
    return f"""\
// lookout-pm2 under the Mac Mini's own PM2 (runbook 003), beside rss-sync-server.
//   pm2 start ecosystem.config.js && pm2 save
// Paths: $LOOKOUT_HOME (default {PREFIX}) holds venv/, etc/pm2.yml and logs/ (docs/install.md).
const path = require("path");
const home = process.env.LOOKOUT_HOME || "{PREFIX}";

module.exports = {{
  apps: [
    {{
      name: "lookout-pm2-exporter",
      script: path.join(home, "venv/bin/lookout-pm2"),
      // The listen address is the config's web.listen_address (default :{port}).
      args: ["--config.file", path.join(home, "etc/pm2.yml")],
      interpreter: "none",          // a console script, not a Node file
      exec_mode: "fork",
      instances: 1,
      autorestart: true,
      // Measured steady RSS 42.8 MB (docs/deploying.md); PM2 restarts it past this.
      max_memory_restart: "{PM2_MAX_MEMORY}",
      min_uptime: "30s",            // a start that dies sooner counts as unstable
      max_restarts: 10,
      exp_backoff_restart_delay: 1000,
      kill_timeout: 6000,           // the exporter exits within 5 s of SIGTERM
      // Logs: one file each, timestamps by PM2; rotate with pm2-logrotate (docs/install.md).
      out_file: path.join(home, "logs/lookout-pm2.out.log"),
      error_file: path.join(home, "logs/lookout-pm2.err.log"),
      merge_logs: true,
      log_date_format: "YYYY-MM-DDTHH:mm:ss.SSSZ",
      env: {{
        PYTHONUNBUFFERED: "1",
      }},
    }},
  ],
}};
"""


LAUNCHD_LABEL = "io.lookout.pm2-exporter"


def launchd_plist() -> str:
    """A per-user LaunchAgent: it must run as the user whose ~/.pm2 holds PM2's RPC socket, so
    the exporter's default daemon.home (~/.pm2, from launchd's HOME) is the right one."""
    plist = {
        "Label": LAUNCHD_LABEL,
        # The listen address is the config's web.listen_address (default :9863, the registry's).
        "ProgramArguments": [f"{PREFIX}/venv/bin/lookout-pm2", "--config.file", f"{PREFIX}/etc/pm2.yml"],
        "RunAtLoad": True,
        # Restart when it dies for any reason, at most every 10 s (launchd's throttle).
        "KeepAlive": True,
        "ThrottleInterval": 10,
        "ProcessType": "Background",
        "LowPriorityIO": True,
        "ExitTimeOut": 6,
        "EnvironmentVariables": {"PYTHONUNBUFFERED": "1"},
        "StandardOutPath": f"{PREFIX}/logs/lookout-pm2.out.log",
        "StandardErrorPath": f"{PREFIX}/logs/lookout-pm2.err.log",
    }
    return plistlib.dumps(plist, sort_keys=False).decode()


# The systemd hosts: what each exporter reads besides its config, and whether it watches a
# process of another user (the process collector's /proc/<pid>/fd needs CAP_SYS_PTRACE).
SYSTEMD = {
    "nectar": {"what": "Nectar and TiDB", "after": "tidb-4000.service",  # runbook 000's unit name
               "reads": ("/root/workspace/cardano-stack/Nectar/unified_errors.log",
                         "-/root/workspace/cardano-stack/Nectar/nectar.log"),
               "ptrace": True},
    "tburn": {"what": "TBURN (HTTP on loopback)", "after": "", "reads": (), "ptrace": False},
}


def systemd_unit(system: str) -> str:
    spec = SYSTEMD[system]
    port = by_key(system).port
    binds = "".join(f"BindReadOnlyPaths={p}\n" for p in spec["reads"])
    caps = ("# The process collector reads Nectar's /proc/<pid>/fd (root's process): that takes\n"
            "# CAP_SYS_PTRACE. The ptrace system call itself stays forbidden by the filter below.\n"
            "CapabilityBoundingSet=CAP_SYS_PTRACE\nAmbientCapabilities=CAP_SYS_PTRACE\n"
            if spec["ptrace"] else "CapabilityBoundingSet=\n")
    return f"""\
# lookout-{system} as a service: /etc/systemd/system/lookout-{system}.service
# docs/install.md: the user, the config in /etc/lookout, `systemctl enable --now lookout-{system}`.
[Unit]
Description=Lookout exporter for {spec["what"]} (Prometheus metrics on :{port})
After=network-online.target{" " + spec["after"] if spec["after"] else ""}
Wants=network-online.target

[Service]
Type=simple
User=lookout-{system}
Group=lookout-{system}
ExecStart={PREFIX}/venv/bin/lookout-{system} --config.file /etc/lookout/{system}.yml
Restart=on-failure
RestartSec=5s
TimeoutStopSec=10s
# A bad config exits 2 and names the key: do not loop on it.
RestartPreventExitStatus=2
MemoryMax=256M
TasksMax=64
LimitNOFILE=8192

# Read-only everywhere; the only paths it reads besides /etc/lookout are bound in read-only.
ProtectSystem=strict
ProtectHome=tmpfs
{binds}ReadOnlyPaths=/etc/lookout
PrivateTmp=yes
PrivateDevices=yes
NoNewPrivileges=yes
{caps}SystemCallFilter=@system-service
SystemCallFilter=~@debug @privileged @resources @mount
SystemCallArchitectures=native
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
UMask=0077

[Install]
WantedBy=multi-user.target
"""


def compose_fragment() -> str:
    port = by_key("ticks").port
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


DO_NOT_EDIT = ("DO NOT EDIT: generated by `python -m lookout.deploy` from lookout/deploy/install.py; "
               "copy it to the host and change the copy")


def _stamped(name: str, text: str) -> str:
    if name.endswith(".js"):
        return f"// {DO_NOT_EDIT}\n{text}"
    if name.endswith(".plist"):
        head, sep, rest = text.partition("<plist")
        return f"{head}<!-- {DO_NOT_EDIT} -->\n{sep}{rest}"
    return f"# {DO_NOT_EDIT}\n{text}"


def rendered() -> dict[str, str]:
    """Path relative to deploy/ -> content, each with its DO-NOT-EDIT line."""
    files = {
        "hosts/mac-mini/ecosystem.config.js": ecosystem_js(),
        f"hosts/mac-mini/{LAUNCHD_LABEL}.plist": launchd_plist(),
        **{f"hosts/{system}/lookout-{system}.service": systemd_unit(system) for system in SYSTEMD},
        "hosts/nas/docker-compose.lookout.yml": compose_fragment(),
        "hosts/nas/lookout-ticks.yml": ticks_config(),
    }
    return {name: _stamped(name, text) for name, text in files.items()}
