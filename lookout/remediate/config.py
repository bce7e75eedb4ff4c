"""The receiver's configuration: guards, where the backends are, and the allow-listed actions.

Loaded with the exporters' loader (`REMEDIATE_<PATH>` environment overrides, `*_file`
secrets); every problem is a ConfigError naming the key, which the entry point turns into
exit 2. An action is one of:

    docker_restart   restart a container through the Docker API          (tick collector)
    pm2_restart      restart a PM2 app over the daemon's RPC socket       (sync server)
                     with `max_old_space_size_mb`: runbook 003's emergency restart
    http             POST a sequence of an application's own remedy routes (TBURN)
    systemd_restart  restart a systemd unit; opt-in only, never in the defaults (Nectar)
"""
from __future__ import annotations

import re
from lookout.records import record, field
from pathlib import Path
from typing import Literal

from lookout.exporters.runtime import ConfigError, Secret
from lookout.exporters.runtime.config import Loader, positive, read_yaml
from lookout.exporters.runtime.settings import LogSettings, WebSettings

ENV_PREFIX = "REMEDIATE"
DEFAULT_PORT = 9865
ActionType = Literal["docker_restart", "pm2_restart", "http", "systemd_restart"]
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_UNIT = re.compile(r"^[A-Za-z0-9@._:-]+\.(service|target)$")


@record
class HttpStep:
    path: str = ""
    method: Literal["POST", "PUT", "GET"] = "POST"

    def validate(self, path: str) -> None:
        if not self.path.startswith("/"):
            raise ConfigError(f"{path}.path", f"must start with '/', got {self.path!r}")


@record
class ActionConfig:
    type: ActionType = "http"
    # Alert names this action may answer; a notification naming the action for any other
    # alert is refused ("not allowed"), so a mislabelled rule cannot trigger it.
    alerts: list[str] = field(default_factory=list)
    timeout_seconds: float = 60.0
    # What it acts on: fixed, or read from an alert label and checked against `allowed`.
    target: str = ""
    target_label: str = ""
    allowed: list[str] = field(default_factory=list)
    # pm2_restart: runbook 003's emergency restart (NODE_OPTIONS=--max-old-space-size=N).
    max_old_space_size_mb: int = 0
    # http: base URL and the routes to call in order; credentials from files.
    url: str = ""
    steps: list[HttpStep] = field(default_factory=list)
    bearer_token: Secret = field(default_factory=Secret)
    cookie: Secret = field(default_factory=Secret)
    admin_password: Secret = field(default_factory=Secret)  # TBURN's X-Admin-Password
    tls_insecure_skip_verify: bool = False

    def validate(self, path: str) -> None:
        if not self.alerts:
            raise ConfigError(f"{path}.alerts", "list the alert names this action answers")
        positive(f"{path}.timeout_seconds", self.timeout_seconds)
        if bool(self.target) == bool(self.target_label):
            raise ConfigError(f"{path}.target", "set exactly one of target or target_label")
        if self.target_label and not self.allowed:
            raise ConfigError(f"{path}.allowed", "required with target_label: the targets it may touch")
        if self.max_old_space_size_mb and self.type != "pm2_restart":
            raise ConfigError(f"{path}.max_old_space_size_mb", "only for type pm2_restart")
        if self.max_old_space_size_mb < 0:
            raise ConfigError(f"{path}.max_old_space_size_mb", "must be > 0")
        if self.type == "http":
            if not re.match(r"^https?://[^/\s]+", self.url):
                raise ConfigError(f"{path}.url", f"expected http(s)://host[:port], got {self.url!r}")
            if not self.steps:
                raise ConfigError(f"{path}.steps", "at least one route to call")
        elif self.url or self.steps:
            raise ConfigError(f"{path}.{'url' if self.url else 'steps'}", f"not used by type {self.type}")
        if self.type == "systemd_restart":
            for t in [self.target] + self.allowed:
                if t and not _UNIT.match(t):
                    raise ConfigError(f"{path}.target", f"not a systemd unit name: {t!r}")


@record
class DockerSettings:
    host: str = ""  # "" = DOCKER_HOST or the default socket


@record
class PM2Settings:
    home: str = ""  # PM2_HOME; "" = $PM2_HOME or ~/.pm2

    def socket_path(self) -> str:
        import os
        home = self.home or os.environ.get("PM2_HOME") or str(Path.home() / ".pm2")
        return str(Path(home) / "rpc.sock")


@record
class RemediateConfig:
    # The global off switch: false = every notification is audited, nothing acts.
    enabled: bool = True
    # Decide and audit, but do not act. The default everywhere except the demo.
    dry_run: bool = True
    audit_log: str = "remediate-audit.jsonl"
    cooldown_seconds: float = 600.0
    max_attempts: int = 3
    window_seconds: float = 3600.0
    recent: int = 50  # actions the landing page lists
    docker: DockerSettings = field(default_factory=DockerSettings)
    pm2: PM2Settings = field(default_factory=PM2Settings)
    actions: dict[str, ActionConfig] = field(default_factory=dict)
    web: WebSettings = field(default_factory=WebSettings)
    log: LogSettings = field(default_factory=LogSettings)

    def validate(self, path: str) -> None:
        positive("cooldown_seconds", self.cooldown_seconds, allow_zero=True)
        positive("window_seconds", self.window_seconds)
        if self.max_attempts < 1:
            raise ConfigError("max_attempts", f"must be >= 1, got {self.max_attempts}")
        if not 1 <= self.recent <= 10_000:
            raise ConfigError("recent", f"must be 1..10000, got {self.recent}")
        for name in self.actions:
            if not _NAME.match(name):
                raise ConfigError(f"actions.{name}", "action names are lower-case letters, digits, - and _")


def load(path: str | None, environ=None) -> RemediateConfig:
    return Loader(ENV_PREFIX, environ).load(RemediateConfig, read_yaml(path))
