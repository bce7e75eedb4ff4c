"""Where each exporter runs in the reference multi-host layout (issue 17, docs/deploying.md).

The runbooks place the four systems on four hosts; each host runs its system's exporter next
to it, and the central Prometheus pair scrapes them over TLS with basic auth.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Host:
    system: str      # registry key: nectar | ticks | pm2 | tburn
    host: str        # DNS name in the reference layout; the operator replaces it
    machine: str     # what the runbook says the host is
    port: int        # the exporter's listen port


def _ports() -> dict[str, int]:
    try:  # the systems registry (lookout/systems.py), once it exists
        from lookout.systems import SYSTEMS
        return {s.key: s.port for s in SYSTEMS}
    except ImportError:  # until then: the ports of prometheus/prometheus.yml
        return {"nectar": 9861, "ticks": 9862, "pm2": 9863, "tburn": 9864}


_MACHINES = (("nectar", "nectar.example.internal", "large Linux server (Nectar + TiDB)"),
             ("ticks", "nas.example.internal", "NAS (tick collector in Docker + TimescaleDB)"),
             ("pm2", "mac-mini.example.internal", "Mac Mini (sync server under PM2)"),
             ("tburn", "tburn.example.internal", "TBURN mainnet node host"))


def hosts() -> tuple[Host, ...]:
    ports = _ports()
    return tuple(Host(key, host, machine, ports[key]) for key, host, machine in _MACHINES)
