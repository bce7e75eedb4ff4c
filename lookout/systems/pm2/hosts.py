"""Where the sync server's exporter is installed (runbook 003, docs/install.md): on the Mac
Mini, under the sync server's own PM2 (ecosystem.config.js) or as a launchd agent; one of the two.
The file formats are PM2's (ecosystem file) and launchd's (property list)."""
from __future__ import annotations

import plistlib

from lookout.deploy.install import PREFIX

from . import SYSTEM

HOST = "mac-mini.example.internal"
MACHINE = "Mac Mini (sync server under PM2)"

# PM2's memory limit for the exporter: the measured steady RSS is 42.8 MB (docs/deploying.md,
# bench/pm2_footprint.py); the limit leaves room for a scrape burst, and is under the 100 MB
# the Mac Mini has free (runbook 003).
PM2_MAX_MEMORY = "90M"


def ecosystem_js() -> str:
    port = SYSTEM.port
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




def files() -> dict[str, str]:
    return {"hosts/mac-mini/ecosystem.config.js": ecosystem_js(),
            f"hosts/mac-mini/{LAUNCHD_LABEL}.plist": launchd_plist()}
