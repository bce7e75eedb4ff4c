"""The status file: restic's summary of the last backup that completed.

restic/restic a80be147 internal/ui/backup/json.go, JSONProgress.Finish: `restic backup --json`
ends a completed backup with one summaryOutput line, message_type "summary", with among others
total_files_processed and total_bytes_processed (what the run read), data_added (bytes added
to the repository, before compression: DataSize + TreeSize), backup_start and backup_end (Go
time.Time, RFC 3339 with nanoseconds; since restic 0.18, commit e65f4e22) and total_duration
(seconds, float). The cron job keeps that line (`| tail -n 1 > F.tmp && mv F.tmp F`), so the
file changes only when a backup completed: its backup_end is the last success, and a job that
fails or no longer runs leaves it ageing, which is what BackupOverdue watches (`time() -
backup_last_success_timestamp_seconds`). Before restic 0.18 the summary has no backup_end:
the file's modification time (the `mv`) is then the end of the backup.

Each scrape reads the file afresh (the runtime runs each collection on a thread of its own): a missing, unreadable, oversized or
unparseable file fails the collector (and backup_up) with its reason; no earlier answer is
served again.
"""
from __future__ import annotations

import json
import os
import threading
from typing import Any

from lookout.exporters.runtime import CollectError, Collector, Deadline, Gauge, MetricSet
from lookout.exporters.runtime import fields as values
from lookout.exporters.runtime.held import held

from .config import BackupConfig

LAST_SUCCESS = Gauge("last_success_timestamp_seconds",
                     "End of the last backup that completed (restic's backup_end), Unix seconds.")
LAST_DURATION = Gauge("last_duration_seconds", "How long that backup ran (restic's total_duration).")
LAST_DATA_ADDED = Gauge("last_data_added_bytes",
                        "Bytes that backup added to the repository, before compression (restic's data_added).")
LAST_FILES = Gauge("last_files_processed", "Files that backup read (restic's total_files_processed).")
LAST_BYTES = Gauge("last_bytes_processed", "Bytes that backup read (restic's total_bytes_processed).")

# restic's field -> (descriptor, the fields.py reader for its type). backup_end is read apart:
# restic before 0.18 does not write it.
FIELDS = {
    "total_duration": (LAST_DURATION, values.number),
    "data_added": (LAST_DATA_ADDED, values.count),
    "total_files_processed": (LAST_FILES, values.count),
    "total_bytes_processed": (LAST_BYTES, values.count),
}


class StatusCollector(Collector):
    """The file's fields; `backup_up` is whether it could be read as a restic summary."""

    name = "status"
    critical = True  # the only source: readable or not is what backup_up means
    metrics = (LAST_SUCCESS, *(desc for desc, _ in FIELDS.values()))
    reasons = ("missing", "read", "too_large", "fields")

    def __init__(self, cfg: BackupConfig):
        self.path = cfg.status_file
        self.max_bytes = cfg.max_bytes
        self.timeout = cfg.timeout_seconds
        # One reader at a time, even past a read stuck on a hung mount: the next scrape fails
        # with "timeout" instead of piling another stuck thread onto the mount.
        self._reading = threading.Lock()

    def field_names(self):
        return tuple(FIELDS)

    def collect(self, out: MetricSet, deadline: Deadline) -> None:
        with held(self._reading, Deadline(min(self.timeout, deadline.remaining())),
                  f"{self.path}: an earlier read is still stuck"):
            raw, modified = self._read()
        summary = parse(raw, self.path)
        try:
            out.add(LAST_SUCCESS, values.timestamp(values.lookup(summary, "backup_end")))
        except values.FieldProblem:
            out.add(LAST_SUCCESS, modified)  # restic < 0.18: the file was replaced when the backup ended
        produced, problems = 0, []
        for field, (desc, read) in FIELDS.items():
            try:
                out.add(desc, read(values.lookup(summary, field)))
                produced += 1
            except values.FieldProblem:
                problems.append(field)
        if not produced:
            raise CollectError("fields", f"{self.path}: no field readable ({', '.join(problems)})")
        for field in problems:
            out.field_missing(field)

    def _read(self) -> tuple[bytes, float]:
        """The file's bytes (at most max_bytes) and its modification time."""
        try:
            with open(self.path, "rb") as f:
                modified = os.fstat(f.fileno()).st_mtime
                raw = f.read(self.max_bytes + 1)
        except FileNotFoundError:
            raise CollectError("missing", f"{self.path} does not exist (no backup has completed yet?)") from None
        except OSError as exc:
            raise CollectError("read", f"cannot read {self.path}: {exc.strerror}") from None
        if len(raw) > self.max_bytes:
            raise CollectError("too_large", f"{self.path} is larger than max_bytes ({self.max_bytes})")
        return raw, modified


def parse(raw: bytes, path: str) -> dict[str, Any]:
    """restic's summary object from the file's last non-empty line (the whole `--json` stream
    may have been kept); CollectError("parse") for anything else."""
    lines = raw.decode("utf-8", "replace").strip().splitlines()
    try:
        summary = json.loads(lines[-1]) if lines else None
    except ValueError:
        raise CollectError("parse", f"{path}: the last line is not JSON") from None
    if not isinstance(summary, dict) or summary.get("message_type") != "summary":
        raise CollectError("parse", f"{path}: the last line is not restic's summary message")
    return summary
