"""Nectar exporter settings (see docs/exporters/nectar.md for a commented example)."""
from __future__ import annotations

import re
from lookout.records import record, field

from lookout.exporters.runtime import ConfigError, Secret
from lookout.exporters.runtime.config import positive

TYPE_CHECKING = False  # typing's own flag, without importing typing (issue 24: start-up)
if TYPE_CHECKING:  # runtime/config.py reads the annotations as text
    from typing import Literal, Optional

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$")


@record
class DatabaseConfig:
    host: str = "127.0.0.1"
    port: int = 4000
    user: str = "root"
    password: Secret = field(default_factory=Secret)
    database: str = "nectar"
    ssl_mode: Literal["disabled", "required", "verify_ca", "verify_identity"] = "disabled"
    ssl_ca: str = ""      # empty with verify_*: the system CA bundle
    ssl_cert: str = ""    # client certificate, optional
    ssl_key: str = ""
    # Data statements at once (the ping has its own). Three collectors send one each: with 2, one
    # of them waits a round trip for a connection (measured, issue 24: no difference on loopback,
    # a collection 24 ms against 14 ms with 3 at a 10 ms round trip); 3 suits a remote TiDB.
    pool_size: int = 2
    connect_timeout_seconds: float = 5.0
    reconnect_max_backoff_seconds: float = 15.0

    def validate(self, path: str) -> None:
        if not 0 < self.port < 65536:
            raise ConfigError(f"{path}.port", f"must be between 1 and 65535, got {self.port}")
        if not 1 <= self.pool_size <= 8:
            raise ConfigError(f"{path}.pool_size", f"must be between 1 and 8, got {self.pool_size}")
        positive(f"{path}.connect_timeout_seconds", self.connect_timeout_seconds)
        positive(f"{path}.reconnect_max_backoff_seconds", self.reconnect_max_backoff_seconds)
        if bool(self.ssl_cert) != bool(self.ssl_key):
            raise ConfigError(f"{path}.ssl_key" if self.ssl_cert else f"{path}.ssl_cert",
                              "ssl_cert and ssl_key go together")
        for key in ("ssl_ca", "ssl_cert", "ssl_key"):
            value = getattr(self, key)
            if value and self.ssl_mode == "disabled":
                raise ConfigError(f"{path}.ssl_mode", f"is disabled but {key} is set")


@record
class ChainConfig:
    table: str = "blocks"          # Nectar's name; db-sync style schemas use "block"
    slot_column: str = "slot_no"
    block_column: str = "block_no"
    network: Literal["mainnet", "preprod", "preview"] = "mainnet"

    def validate(self, path: str) -> None:
        for key in ("table", "slot_column", "block_column"):
            if not _IDENTIFIER.match(getattr(self, key)):
                raise ConfigError(f"{path}.{key}", f"not a plain SQL identifier: {getattr(self, key)!r}")


@record
class ProcesslistConfig:
    enabled: bool = True
    max_states: int = 15   # distinct state label values before the rest become "other"
    max_users: int = 10


@record
class ProcessConfig:
    """How to find the Nectar process on this host: any one of these."""
    name: str = ""            # process name, e.g. "nectar"
    cmdline_regex: str = ""   # matched against the joined command line
    pidfile: str = ""

    def validate(self, path: str) -> None:
        if not (self.name or self.cmdline_regex or self.pidfile):
            raise ConfigError(path, "set name, cmdline_regex or pidfile to find the Nectar process")
        if self.cmdline_regex:
            try:
                re.compile(self.cmdline_regex)
            except re.error as exc:
                raise ConfigError(f"{path}.cmdline_regex", f"invalid regular expression: {exc}") from None


# Lines of Nectar's stdout counted by name in nectar_log_events_total. Reconnections are
# counted as episodes instead (reconnects.py), not by pattern.
DEFAULT_LOG_PATTERNS = {
    "connected": r"\[ConnectionRecovery\] Database connection established successfully",
    "error": r"(?i)\b(error|fatal|panic)\b",
}


@record
class LogFileConfig:
    # Nectar's stdout/stderr as captured (systemd journal export, nohup.out, a redirect):
    # Go's log prefix. With the dashboard on, Nectar sends its log output to the dashboard
    # instead (main.go), and the reconnection entries are in unified_errors.log.
    path: str = ""
    # errors/unified_error_system.go's file: unified_errors.log in Nectar's working directory.
    unified_errors_path: str = ""
    # Reconnection lines of one component closer together than this are one episode.
    episode_gap_seconds: float = 60.0
    patterns: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_LOG_PATTERNS))

    def validate(self, path: str) -> None:
        if not self.path and not self.unified_errors_path:
            raise ConfigError(f"{path}.path", "path or unified_errors_path is required when logfile is configured")
        positive(f"{path}.episode_gap_seconds", self.episode_gap_seconds)
        for name, regex in self.patterns.items():
            if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
                raise ConfigError(f"{path}.patterns.{name}", "names must be lower_snake_case (they become label values)")
            try:
                re.compile(regex)
            except re.error as exc:
                raise ConfigError(f"{path}.patterns.{name}", f"invalid regular expression: {exc}") from None


@record
class AppConfig:
    """Nectar's dashboard API (web/server.go listens on :8080 when the dashboard is on)."""
    url: str = "http://127.0.0.1:8080"
    timeout_seconds: float = 2.0
    max_body_bytes: int = 1024 * 1024

    def validate(self, path: str) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise ConfigError(f"{path}.url", f"expected an http:// or https:// URL, got {self.url!r}")
        positive(f"{path}.timeout_seconds", self.timeout_seconds)
        positive(f"{path}.max_body_bytes", self.max_body_bytes)


@record
class NectarConfig:
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    chain: ChainConfig = field(default_factory=ChainConfig)
    processlist: ProcesslistConfig = field(default_factory=ProcesslistConfig)
    process: Optional[ProcessConfig] = None
    logfile: Optional[LogFileConfig] = None
    app: Optional[AppConfig] = None          # opt-in: `app: {}` reads the dashboard API
