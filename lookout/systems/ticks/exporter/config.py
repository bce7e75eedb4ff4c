"""Tick exporter settings (docs/exporters/ticks.md has a commented example)."""
from __future__ import annotations

import os
import re
from lookout.records import record, field

from lookout.exporters.runtime import ConfigError, Secret
from lookout.exporters.runtime.config import positive
from lookout.exporters.runtime.secrets import remember
from lookout.netutil import urlsplit  # urllib.parse's, without importing it (issue 24)

TYPE_CHECKING = False  # typing's own flag, without importing typing (issue 24: start-up)
if TYPE_CHECKING:  # runtime/config.py reads the annotations as text
    from typing import Optional

# schema.table or table; quoted verbatim in SQL, so case matters as written here.
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")
_TABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$")
# Docker's container names: [a-zA-Z0-9][a-zA-Z0-9_.-]* (daemon/names.go).
_CONTAINER = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]*\Z")
_LABEL_VALUE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@record
class DatabaseConfig:
    # postgresql://user:password@host:5432/crypto_data; a Secret because it carries the password.
    dsn: Secret = field(default_factory=Secret)
    # Optional: keeps the password out of the DSN (password_file or TICKS_DATABASE__PASSWORD_FILE).
    password: Secret = field(default_factory=Secret)
    pool_size: int = 2
    connect_timeout_seconds: float = 5.0
    reconnect_max_backoff_seconds: float = 30.0

    def tls_required(self) -> bool:
        """Whether the DSN's sslmode requires TLS (require, verify-ca, verify-full)."""
        from .dsn import Params
        try:
            return Params(self.dsn.reveal()).tls_required()
        except ValueError:
            return False

    def validate(self, path: str) -> None:
        if not self.dsn:
            raise ConfigError(f"{path}.dsn" if path else "dsn",
                              "required (set it in the file, in dsn_file, or in TICKS_DATABASE__DSN)")
        from .dsn import Params, userinfo_escaped  # what the client understands of it (sslmode, host ...)
        try:
            parts = urlsplit(userinfo_escaped(self.dsn.reveal()))  # the user and password as libpq reads them
            parts.port  # noqa: B018 - raises on a non-numeric port
        except ValueError:
            raise ConfigError(f"{path}.dsn", "not a valid postgresql:// URI") from None
        # Never echo the value: it holds the password.
        if parts.scheme not in ("postgres", "postgresql"):
            raise ConfigError(f"{path}.dsn", "must be a postgresql:// (or postgres://) URI")
        try:
            params = Params(self.dsn.reveal())
        except ValueError as exc:
            raise ConfigError(f"{path}.dsn", str(exc)) from None  # pgwire's messages name no value
        if params.password:
            remember(params.password)  # so redact() scrubs it even when echoed on its own
        if not 1 <= self.pool_size <= 8:
            raise ConfigError(f"{path}.pool_size", f"must be between 1 and 8, got {self.pool_size}")
        positive(f"{path}.connect_timeout_seconds", self.connect_timeout_seconds)
        positive(f"{path}.reconnect_max_backoff_seconds", self.reconnect_max_backoff_seconds)


@record
class TableConfig:
    name: str = "eth_option_quotes"
    time_column: str = "timestamp"
    # Empty: no ticks_table_active_instruments for this table.
    instrument_column: str = ""
    window_seconds: float = 300.0
    # The collector container that writes this table (a docker container's name), or "":
    # served as ticks_table_fed_by{table, container}, so that container being down explains
    # this table's stale ticks and low rate, and no other table's (catalog: CollectorDown).
    fed_by: str = ""

    def validate(self, path: str) -> None:
        if self.fed_by and not _CONTAINER.match(self.fed_by):
            raise ConfigError(f"{path}.fed_by", f"not a container name: {self.fed_by!r}")
        if not _TABLE.match(self.name):
            raise ConfigError(f"{path}.name", f"not a plain table name (schema.table allowed): {self.name!r}")
        for key in ("time_column", "instrument_column"):
            value = getattr(self, key)
            if (value or key == "time_column") and not _IDENTIFIER.match(value):
                raise ConfigError(f"{path}.{key}", f"not a plain column name: {value!r}")
        positive(f"{path}.window_seconds", self.window_seconds)


DEFAULT_LOG_PATTERNS = {
    # The lines runbook 002 tells the operator to look for in `docker-compose logs collector`.
    "error": r"\b(ERROR|CRITICAL)\b",
    "reconnect": r"Reconnecting in \d+(\.\d+)?s",
    "connected": r"WebSocket connected successfully",
    "stats": r"STATS \| Ticks: \d",
}


@record
class LogConfig:
    enabled: bool = True
    patterns: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_LOG_PATTERNS))
    # Its first group is the number reported as ticks_log_reported_ticks.
    reported_ticks_pattern: str = r"STATS \| Ticks: (\d[\d,]*)"
    # Each read re-reads this much before the newest line seen, so a line that reached
    # Docker's log file slightly out of order (stdout vs stderr) is still counted once.
    overlap_seconds: float = 2.0

    def validate(self, path: str) -> None:
        for name, regex in self.patterns.items():
            if not _LABEL_VALUE_NAME.match(name):
                raise ConfigError(f"{path}.patterns.{name}", "names must be lower_snake_case (they become label values)")
            _compile(f"{path}.patterns.{name}", regex)
        if self.reported_ticks_pattern and _compile(f"{path}.reported_ticks_pattern",
                                                    self.reported_ticks_pattern).groups < 1:
            raise ConfigError(f"{path}.reported_ticks_pattern", "needs a group capturing the number")
        positive(f"{path}.overlap_seconds", self.overlap_seconds, allow_zero=True)


@record
class DockerConfig:
    # Empty: DOCKER_HOST, else unix:///var/run/docker.sock. unix:///path or tcp://host:port
    # (plain HTTP: TLS to the daemon is not supported).
    host: str = ""
    containers: list[str] = field(default_factory=list)    # exact names
    labels: dict[str, str] = field(default_factory=dict)   # all must match; "" matches any value
    # Names that must exist even when chosen by labels: one removed altogether (not just
    # stopped) is then reported as not running (CollectorDown). Names in `containers` are
    # expected already.
    expected_containers: list[str] = field(default_factory=list)
    max_containers: int = 10   # caps the `container` label's values
    timeout_seconds: float = 5.0
    logs: LogConfig = field(default_factory=LogConfig)

    def validate(self, path: str) -> None:
        if not self.containers and not self.labels:
            raise ConfigError(f"{path}.containers", "set containers (names) or labels to choose the collector's containers")
        if not 1 <= self.max_containers <= 100:
            raise ConfigError(f"{path}.max_containers", f"must be between 1 and 100, got {self.max_containers}")
        positive(f"{path}.timeout_seconds", self.timeout_seconds)
        address = self.daemon_address()
        origin = "" if self.host else " (from DOCKER_HOST)"
        if not address.startswith(("unix:///", "tcp://")):
            raise ConfigError(f"{path}.host", f"must be unix:///path/to/docker.sock or tcp://host:port, "
                                              f"got {address!r}{origin}")
        try:
            urlsplit(address).port  # noqa: B018 - raises on a non-numeric port
        except ValueError:
            raise ConfigError(f"{path}.host", f"not a valid address: {address!r}{origin}") from None
        if address.startswith("tcp://") and not self.host and os.environ.get("DOCKER_TLS_VERIFY"):
            raise ConfigError(f"{path}.host", "DOCKER_TLS_VERIFY is set, and TLS to the Docker daemon is not "
                                              "supported: use its unix socket")

    def daemon_address(self) -> str:
        """Where the daemon listens: `host`, else DOCKER_HOST, else the default socket."""
        return self.host or os.environ.get("DOCKER_HOST", "") or "unix:///var/run/docker.sock"


@record
class DiskConfig:
    paths: list[str] = field(default_factory=list)


@record
class TicksConfig:
    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    tables: list[TableConfig] = field(default_factory=lambda: [TableConfig()])
    docker: Optional[DockerConfig] = None
    disk: DiskConfig = field(default_factory=DiskConfig)

    def validate(self, path: str) -> None:
        names = [t.name for t in self.tables]
        if not names:
            raise ConfigError("tables", "configure at least one table")
        if len(set(names)) != len(names):
            raise ConfigError("tables", "each table may be listed once")


def _compile(key: str, regex: str) -> re.Pattern:
    try:
        return re.compile(regex)
    except re.error as exc:
        raise ConfigError(key, f"invalid regular expression: {exc}") from None
