"""Where TBURN's exporter is installed (runbook 004, docs/install.md): on the mainnet node's
host, as a hardened systemd unit (lookout/deploy/install.py); it reads TBURN over HTTP on
loopback only, so it needs no extra path or capability."""
from __future__ import annotations

from lookout.deploy.install import systemd_unit

from . import SYSTEM

HOST = "tburn.example.internal"
MACHINE = "TBURN mainnet node host"


def files() -> dict[str, str]:
    return {"hosts/tburn/lookout-tburn.service": systemd_unit(SYSTEM, "TBURN (HTTP on loopback)")}
