"""Where Nectar's exporter is installed (runbook 000's host, docs/install.md): on the large
Linux server beside Nectar and TiDB, as a hardened systemd unit (lookout/deploy/install.py)."""
from __future__ import annotations

from lookout.deploy.install import systemd_unit

from . import SYSTEM

HOST = "nectar.example.internal"
MACHINE = "large Linux server (Nectar + TiDB)"


def files() -> dict[str, str]:
    unit = systemd_unit(
        SYSTEM, "Nectar and TiDB", after="tidb-4000.service",  # runbook 000's unit name
        reads=("/root/workspace/cardano-stack/Nectar/unified_errors.log",
               "-/root/workspace/cardano-stack/Nectar/nectar.log"),
        ptrace_why="The process collector reads Nectar's /proc/<pid>/fd (root's process): that takes\n"
                   "CAP_SYS_PTRACE.")
    return {"hosts/nectar/lookout-nectar.service": unit}
