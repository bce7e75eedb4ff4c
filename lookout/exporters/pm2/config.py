"""PM2 exporter settings (docs/exporters/pm2.md has the commented reference)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Literal, Optional

from lookout.exporters.runtime import ConfigError, Secret
from lookout.exporters.runtime.config import positive


@dataclass
class DaemonConfig:
    # PM2_HOME of the user running PM2; empty: $PM2_HOME, else ~/.pm2 (what the pm2 CLI does).
    home: str = ""
    # The daemon's RPC socket; empty: <home>/rpc.sock.
    rpc_socket: str = ""
    timeout_seconds: float = 2.0
    # Processes beyond this many (by pm_id) are counted in pm2_processes but not labelled,
    # so a runaway ecosystem file cannot blow up the series count.
    max_processes: int = 64
    # Opt-in: when the socket answers but its reply cannot be read (a future PM2 wire
    # change), run `<pm2_command> jlist`. Never used when the daemon is down.
    jlist_fallback: bool = False
    pm2_command: str = "pm2"

    def validate(self, path: str) -> None:
        positive(f"{path}.timeout_seconds", self.timeout_seconds)
        if not 1 <= self.max_processes <= 1000:
            raise ConfigError(f"{path}.max_processes", f"must be between 1 and 1000, got {self.max_processes}")
        if self.jlist_fallback and not self.pm2_command:
            raise ConfigError(f"{path}.pm2_command", "required when jlist_fallback is on")

    def resolved_home(self) -> str:
        home = self.home or os.environ.get("PM2_HOME") or os.path.join(os.path.expanduser("~"), ".pm2")
        return os.path.expanduser(home)

    def socket_path(self) -> str:
        return os.path.expanduser(self.rpc_socket) if self.rpc_socket else os.path.join(self.resolved_home(), "rpc.sock")


@dataclass
class HealthFields:
    """Dotted paths into the health JSON; `a.b|c` tries `a.b`, then `c`; empty turns a field off.

    The memory, restartCount and uptime defaults are runbook 003's health endpoint; the
    sync counters are Lookout's proposal for the endpoint the runbook asks for.
    """
    heap_used: str = "memory.heapUsed"
    heap_total: str = "memory.heapTotal"
    rss: str = "memory.rss"
    external: str = "memory.external"
    restart_count: str = "restartCount"
    uptime: str = "uptime"
    queue_depth: str = "queue.depth|queueDepth"
    api_errors: str = "sync.apiErrors|apiErrors"
    sync_successes: str = "sync.successes|syncSuccesses"
    sync_failures: str = "sync.failures|syncFailures"
    last_sync_duration: str = "sync.lastDurationMs|lastSyncDurationMs"
    # Unit of a bare number in last_sync_duration ("1.5s" in the JSON carries its own).
    last_sync_duration_unit: Literal["ms", "s"] = "ms"

    def validate(self, path: str) -> None:
        for name in self.paths():
            for alt in getattr(self, name).split("|") if getattr(self, name) else ():
                if not alt or any(not part for part in alt.split(".")):
                    raise ConfigError(f"{path}.{name}", f"not a dotted path: {getattr(self, name)!r}")

    def paths(self) -> list[str]:
        return [n for n in self.__dataclass_fields__ if n != "last_sync_duration_unit"]


@dataclass
class HealthConfig:
    url: str = ""
    timeout_seconds: float = 2.0
    # Sent as "Authorization: Bearer ..." when set; from bearer_token_file or PM2_HEALTH__BEARER_TOKEN_FILE.
    bearer_token: Secret = field(default_factory=Secret)
    max_body_bytes: int = 1024 * 1024
    fields: HealthFields = field(default_factory=HealthFields)

    def validate(self, path: str) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise ConfigError(f"{path}.url", f"expected an http:// or https:// URL, got {self.url!r}")
        positive(f"{path}.timeout_seconds", self.timeout_seconds)
        positive(f"{path}.max_body_bytes", self.max_body_bytes)


@dataclass
class HostConfig:
    enabled: bool = True


@dataclass
class Pm2Config:
    daemon: DaemonConfig = field(default_factory=DaemonConfig)
    health: Optional[HealthConfig] = None
    host: HostConfig = field(default_factory=HostConfig)
