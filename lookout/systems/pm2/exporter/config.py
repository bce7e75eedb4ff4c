"""PM2 exporter settings (docs/exporters/pm2.md has the commented reference)."""
from __future__ import annotations

import os
from lookout.records import record, field
from typing import Optional

from lookout.netutil import urlsplit

from lookout.exporters.runtime import ConfigError, Secret
from lookout.exporters.runtime.config import positive


@record
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
    # Process names that must be there (pm2_expected_process_instances): one deleted, or lost
    # with a daemon that was killed and replaced by an empty one, then pages as PM2ProcessDown.
    expected_processes: list[str] = field(default_factory=list)

    def validate(self, path: str) -> None:
        positive(f"{path}.timeout_seconds", self.timeout_seconds)
        if not 1 <= self.max_processes <= 1000:
            raise ConfigError(f"{path}.max_processes", f"must be between 1 and 1000, got {self.max_processes}")
        if len(set(self.expected_processes)) != len(self.expected_processes) or not all(self.expected_processes):
            raise ConfigError(f"{path}.expected_processes", "names must be non-empty and listed once")
        if self.jlist_fallback and not self.pm2_command:
            raise ConfigError(f"{path}.pm2_command", "required when jlist_fallback is on")

    def resolved_home(self) -> str:
        home = self.home or os.environ.get("PM2_HOME") or os.path.join(os.path.expanduser("~"), ".pm2")
        return os.path.expanduser(home)

    def socket_path(self) -> str:
        return os.path.expanduser(self.rpc_socket) if self.rpc_socket else os.path.join(self.resolved_home(), "rpc.sock")


@record
class HealthConfig:
    """The sync server's own endpoints (shayonpal/rss-news-reader, server/server.js).

    The `rss-sync-server` PM2 app listens on SERVER_PORT 3001 (ecosystem.config.js).
    """
    url: str = "http://127.0.0.1:3001/server/health"
    # GET /server/sync/stats (the sync_queue_stats view). None: /server/sync/stats on the
    # health URL's host and port; "": not read.
    stats_url: Optional[str] = None
    timeout_seconds: float = 2.0
    # Sent as "Authorization: Bearer ..." when set (for a proxy in front: the app itself asks none);
    # from bearer_token_file or PM2_HEALTH__BEARER_TOKEN_FILE.
    bearer_token: Secret = field(default_factory=Secret)
    max_body_bytes: int = 1024 * 1024

    def validate(self, path: str) -> None:
        for key in ("url", "stats_url"):
            value = getattr(self, key)
            if value and not value.startswith(("http://", "https://")):
                raise ConfigError(f"{path}.{key}", f"expected an http:// or https:// URL, got {value!r}")
        if not self.url:
            raise ConfigError(f"{path}.url", "required")
        positive(f"{path}.timeout_seconds", self.timeout_seconds)
        positive(f"{path}.max_body_bytes", self.max_body_bytes)

    def resolved_stats_url(self) -> str:
        if self.stats_url is not None:
            return self.stats_url
        url = urlsplit(self.url)
        return f"{url.scheme}://{url.netloc}/server/sync/stats"


@record
class SyncLogConfig:
    """The sync server's own log lines, from the PM2 log files of `process_name`.

    The paths come from the process list (pm_out_log_path, pm_err_log_path), so a moved
    or rotated log is followed without configuration.
    """
    enabled: bool = True
    process_name: str = "rss-sync-server"

    def validate(self, path: str) -> None:
        if self.enabled and not self.process_name:
            raise ConfigError(f"{path}.process_name", "required when sync_log is enabled")


@record
class WatchdogConfig:
    """The host watchdog's JSON log (rss-news-reader's rss-services-monitor, LOG_FILE in its
    ecosystem.config.js: <app dir>/logs/monitor-services.jsonl). Empty: not read."""
    path: str = ""


@record
class HostConfig:
    enabled: bool = True


@record
class Pm2Config:
    daemon: DaemonConfig = field(default_factory=DaemonConfig)
    # The sync server's health and queue endpoints; `health: null` turns them off.
    health: Optional[HealthConfig] = field(default_factory=HealthConfig)
    sync_log: SyncLogConfig = field(default_factory=SyncLogConfig)
    watchdog: WatchdogConfig = field(default_factory=WatchdogConfig)
    host: HostConfig = field(default_factory=HostConfig)
