"""Where each exporter runs in the reference multi-host layout (issue 17, docs/deploying.md).

The runbooks place the four systems on four hosts; each host runs its system's exporter next
to it, and the central Prometheus pair scrapes them over TLS with basic auth. Systems and
ports come from the registry (lookout.systems); only the placement is said here.
"""
from __future__ import annotations

from dataclasses import dataclass

from lookout.systems import SYSTEMS


@dataclass(frozen=True)
class Host:
    system: str      # registry key
    host: str        # DNS name in the reference layout; the operator replaces it
    machine: str     # what the runbook says the host is
    port: int        # the exporter's listen port (registry)


PLACEMENT = {
    "nectar": ("nectar.example.internal", "large Linux server (Nectar + TiDB)"),
    "ticks": ("nas.example.internal", "NAS (tick collector in Docker + TimescaleDB)"),
    "pm2": ("mac-mini.example.internal", "Mac Mini (sync server under PM2)"),
    "tburn": ("tburn.example.internal", "TBURN mainnet node host"),
}


def hosts() -> tuple[Host, ...]:
    """One per registered system; a system without a placement gets a host of its own."""
    out = []
    for s in SYSTEMS:
        host, machine = PLACEMENT.get(s.key, (f"{s.key}.example.internal", "its own host"))
        out.append(Host(s.key, host, machine, s.port))
    return tuple(out)
