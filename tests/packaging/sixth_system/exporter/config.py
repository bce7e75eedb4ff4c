"""Backup exporter settings: where the status file is, and how much of it may be read."""
from __future__ import annotations

import os
from lookout.records import record

from lookout.exporters.runtime import ConfigError
from lookout.exporters.runtime.config import positive


@record
class BackupConfig:
    # The file the cron job replaces after each backup that completes (`restic backup --json
    # ... | tail -n 1 > F.tmp && mv F.tmp F`); environment: BACKUP_STATUS_FILE.
    status_file: str = "/var/lib/backup/restic-summary.json"
    # restic's summary is about 600 bytes; a file past this is refused, never read in part.
    max_bytes: int = 64 * 1024
    # How long a scrape waits for an earlier read still stuck on the file (a hung mount) before
    # failing with reason "timeout"; a read itself cannot be timed out: the scrape's deadline ends it.
    timeout_seconds: float = 2.0

    def validate(self, path: str) -> None:
        key = f"{path}.status_file" if path else "status_file"
        if not self.status_file or not os.path.isabs(os.path.expanduser(self.status_file)):
            raise ConfigError(key, f"must be an absolute path, got {self.status_file!r}")
        if not 1024 <= self.max_bytes <= 16 * 1024 * 1024:
            raise ConfigError("max_bytes", f"must be between 1024 and 16777216, got {self.max_bytes}")
        positive("timeout_seconds", self.timeout_seconds)
