"""Where each exporter runs in the reference multi-host layout (issue 17, docs/deploying.md).

Each host runs its system's exporter next to it, and the central Prometheus pair scrapes them
over TLS with basic auth. Systems and ports come from the registry (lookout.systems); the
placement from each system's hosts module (HOST, MACHINE: lookout/deploy/install.py).
"""
from __future__ import annotations

from dataclasses import dataclass

from lookout.systems import SYSTEMS

from .install import hosts_module


@dataclass(frozen=True)
class Host:
    system: str      # registry key
    host: str        # DNS name in the reference layout; the operator replaces it
    machine: str     # what the runbook says the host is
    port: int        # the exporter's listen port (registry)


def hosts() -> tuple[Host, ...]:
    """One per registered system; a system without a placement gets a host of its own."""
    out = []
    for s in SYSTEMS:
        module = hosts_module(s)
        host = getattr(module, "HOST", f"{s.key}.example.internal")
        machine = getattr(module, "MACHINE", "its own host")
        out.append(Host(s.key, host, machine, s.port))
    return tuple(out)
