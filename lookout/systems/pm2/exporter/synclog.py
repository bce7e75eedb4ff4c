"""The sync server's own log lines, read from the PM2 log files of its app.

Lines from shayonpal/rss-news-reader server/services/bidirectional-sync.js:
  console.log(`[BiDirectionalSync] Sync completed in ${duration}ms`)        -> stdout log
  console.error('[BiDirectionalSync] Batch sync failed:', error)            -> error log
A failed batch is one failed call to the Inoreader API. PM2 may prefix each line with a
timestamp (`time: true` in the app's ecosystem.config.js); the patterns do not anchor.
The files are the ones PM2 reports for the app (pm_out_log_path, pm_err_log_path) and are
followed with the runtime's rotation-safe tail, from their end when first seen.
"""
from __future__ import annotations

import re
import threading

from lookout.exporters.runtime.held import held
from lookout.exporters.runtime import Collector, Deadline, MetricSet
from lookout.exporters.runtime.logs import get_logger
from lookout.exporters.runtime.logtail import FileTail
from lookout.exporters.runtime.metrics import Counter, Gauge

from .config import SyncLogConfig

log = get_logger("lookout.pm2.synclog")

COMPLETED = re.compile(r"\[BiDirectionalSync\] Sync completed in (\d+(?:\.\d+)?)ms")
API_ERROR = re.compile(r"\[BiDirectionalSync\] Batch sync failed")
_LOG_KEYS = ("pm_out_log_path", "pm_err_log_path")


API_ERRORS = Counter("sync_api_errors", "Failed Inoreader API batches ('Batch sync failed' lines).")
COMPLETED_RUNS = Counter("sync_completed", "Completed sync runs ('Sync completed in Nms' lines).")
LAST_DURATION = Gauge("sync_last_duration_seconds",
                      "The longest sync run among the completed lines read by the last scrape that saw one.")


class SyncLogCollector(Collector):
    name = "sync_log"
    metrics = (API_ERRORS, COMPLETED_RUNS, LAST_DURATION)

    def __init__(self, source, cfg: SyncLogConfig):
        # The scrape's one read of the process list, shared with the processes collector
        # (ProcessSource.read, one call per collection): the log paths come with this scrape's answer.
        self.source = source  # ProcessSource
        self.process_name = cfg.process_name
        self.tails: dict[str, FileTail] = {}
        self.api_errors = 0
        self.completed = 0
        self.last_duration: float | None = None
        # One reader at a time, so each line is counted once however many runs overlap, even
        # past a read that hung (a stuck NFS mount, say): it keeps the lock until it comes back,
        # and the runs meanwhile fail with reason timeout.
        self._lock = threading.Lock()

    def collect(self, out: MetricSet, deadline: Deadline) -> None:
        procs = self.source.read(deadline)
        paths = self._paths(procs)
        with held(self._lock, deadline, "sync_log: an earlier read of the log files has not come back"):
            self._read(paths)
            api_errors, completed, last_duration = self.api_errors, self.completed, self.last_duration
        out.add(API_ERRORS, api_errors)
        out.add(COMPLETED_RUNS, completed)
        if last_duration is not None:
            out.add(LAST_DURATION, last_duration)

    def _paths(self, procs) -> list[str]:
        """Every instance's log files: in cluster mode (`instances: N`) each instance writes
        its own (`<name>-out-<pm_id>.log`) unless `merge_logs` points them all at one file,
        which is then read once."""
        paths: dict[str, None] = {}
        for proc in procs if isinstance(procs, list) else ():
            env = proc.get("pm2_env") if isinstance(proc, dict) and isinstance(proc.get("pm2_env"), dict) else {}
            if isinstance(proc, dict) and (proc.get("name") or env.get("name")) == self.process_name:
                paths.update((p, None) for p in (env.get(k) for k in _LOG_KEYS)
                             if isinstance(p, str) and p and p != "/dev/null")
        return list(paths)

    def _read(self, paths: list[str]) -> None:
        """Counts each file's lines as soon as they are read (under the lock): a tail's offset
        moves on when it reads, so lines left uncounted because the next file failed, or
        because the scrape gave up waiting, would never be seen again."""
        longest = None  # of this read, across the files
        for gone in set(self.tails) - set(paths):
            # An instance scaled away (`pm2 scale`) or deleted: its last lines still count.
            tail = self.tails.pop(gone)
            try:
                longest = self._count(tail.read_lines(), longest)
            finally:
                tail.close()
        for path in paths:
            tail = self.tails.get(path)
            if tail is None:
                tail = self.tails[path] = FileTail(path)
            longest = self._count(tail.read_lines(), longest)

    def _count(self, lines: list[str], longest: float | None) -> float | None:
        for line in lines:
            if API_ERROR.search(line):
                self.api_errors += 1
            m = COMPLETED.search(line)
            if m:
                self.completed += 1
                seconds = float(m.group(1)) / 1000.0
                longest = seconds if longest is None else max(longest, seconds)
        if longest is not None:
            self.last_duration = longest
        return longest

    def close(self) -> None:
        for tail in self.tails.values():
            tail.close()
