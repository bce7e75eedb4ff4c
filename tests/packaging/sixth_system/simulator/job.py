"""The nightly job: every `every` seconds a "backup" that ends by writing restic's summary line.

The line has the fields and types of restic's summaryOutput (restic/restic a80be147
internal/ui/backup/json.go): counts as integers, backup_start/backup_end as RFC 3339 with
nanoseconds (Go's time.Time), total_duration (end - start) in seconds. It replaces the status file atomically (write, then
rename), as the cron job's `tail -n 1 > F.tmp && mv F.tmp F` does, and only when the run
completed: a failed run leaves the previous summary in place.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import secrets
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from lookout.simulators.common import FaultRegistry, FaultSpec

log = logging.getLogger("backup_job")

FAULTS = (
    FaultSpec("job-fails", "Every run fails (restic exits 1, no summary): the status file ages.", {}),
    FaultSpec("status-lost", "The status file is gone (a wiped tmpfs, a wrong path) and no run rewrites it.", {}),
)


def rfc3339_ns(moment: datetime) -> str:
    """Go's time.Time in JSON: RFC 3339 with nanoseconds and the zone offset."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "000" + moment.strftime("%z")[:3] + ":" + moment.strftime("%z")[3:]


class BackupJob:
    def __init__(self, status_file: str, every: float, faults: FaultRegistry, seed: int | None = None):
        self.path = Path(status_file)
        self.every = every
        self.faults = faults
        self.rng = random.Random(seed)
        self.runs = {"completed": 0, "failed": 0}

    def status(self) -> dict:
        return {"status_file": str(self.path), "every_seconds": self.every, **self.runs}

    async def run(self) -> None:
        due = 0.0
        while True:
            if self.faults.get("status-lost"):
                self.path.unlink(missing_ok=True)
                due = 0.0  # once mended, the next run is at once
            elif time.monotonic() >= due:
                self.run_once()
                due = time.monotonic() + self.every
            await asyncio.sleep(min(1.0, self.every))

    def run_once(self) -> None:
        """One night's run: restic's summary into the file, unless the run fails."""
        if self.faults.get("status-lost"):
            self.path.unlink(missing_ok=True)
            return
        if self.faults.get("job-fails"):
            self.runs["failed"] += 1
            log.error("Fatal: unable to create lock in backend: repository is already locked")
            return
        self.write(self.summary(datetime.now(timezone.utc).astimezone()))
        self.runs["completed"] += 1

    def summary(self, end: datetime) -> dict:
        duration = self.rng.uniform(600, 5400)
        new, changed = self.rng.randint(50, 400), self.rng.randint(100, 900)
        unmodified = 182_000 + self.rng.randint(0, 2000)
        added = self.rng.randint(200, 900) * 1024 * 1024
        return {"message_type": "summary", "files_new": new, "files_changed": changed, "files_unmodified": unmodified,
                "dirs_new": 3, "dirs_changed": 41, "dirs_unmodified": 9_200, "data_blobs": new + changed,
                "tree_blobs": 44, "data_added": added, "data_added_packed": int(added * 0.62),
                "total_files_processed": new + changed + unmodified, "total_bytes_processed": 412 * 1024 ** 3,
                "backup_start": rfc3339_ns(end - timedelta(seconds=duration)), "backup_end": rfc3339_ns(end),
                "total_duration": duration, "snapshot_id": secrets.token_hex(32)}

    def write(self, summary: dict) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(summary) + "\n")
        os.replace(tmp, self.path)
        log.info("backup completed at %s", time.strftime("%H:%M:%S"))
