"""The sync log reader keeps every line it has read, even when a later file of the same read hangs.

The lines are shayonpal/rss-news-reader server/services/bidirectional-sync.js's
("[BiDirectionalSync] Sync completed in <N>ms", console.log -> PM2's out log). The process
list is the shape PM2's daemon answers to getMonitorData (lib/God/Methods.js): the app's
pm2_env carries pm_out_log_path / pm_err_log_path. Here that list comes from FixedProcessList,
a FAKE daemon (the real one is exercised in test_health.py), because the point is the file
read: the error log is a FIFO with no writer, so opening it blocks like a hung mount.
"""
import os
import threading

import pytest

from lookout.systems.pm2.exporter.config import SyncLogConfig
from lookout.systems.pm2.exporter.synclog import SyncLogCollector
from lookout.exporters.runtime import CollectError, Deadline, MetricSet

APP = "rss-sync-server"  # ecosystem.config.js's app name


class FixedProcessList:
    """FAKE daemon: answers one getMonitorData-shaped process list."""

    def __init__(self, out_log: str, err_log: str):
        self.procs = [{"name": APP, "pm_id": 0,
                       "pm2_env": {"name": APP, "pm_out_log_path": out_log, "pm_err_log_path": err_log}}]

    def read(self, deadline: Deadline) -> list:
        return self.procs


def sample(out: MetricSet, name: str) -> float | None:
    for family in out.families():
        for sample in family.samples:
            if sample.name == name:
                return sample.value
    return None


def collect(collector: SyncLogCollector, seconds: float) -> MetricSet:
    out = MetricSet("pm2")
    collector.collect(out, Deadline(seconds))
    return out


def test_lines_read_before_a_hung_file_are_counted(tmp_path):
    out_log, err_log = tmp_path / f"{APP}-out.log", tmp_path / f"{APP}-error.log"
    out_log.write_text("[BiDirectionalSync] Sync completed in 100ms\n")  # before the start: not news
    collector = SyncLogCollector(FixedProcessList(str(out_log), str(err_log)), SyncLogConfig())
    try:
        assert sample(collect(collector, 5), "pm2_sync_completed_total") == 0  # error log absent: nothing to block
        with out_log.open("a") as f:
            f.write("2026-01-13T10:00:00: [BiDirectionalSync] Sync completed in 1200ms\n"
                    "2026-01-13T10:01:00: [BiDirectionalSync] Sync completed in 45000ms\n")
        os.mkfifo(err_log)  # opening it for reading now blocks until a writer comes
        # A run on a thread of its own, given up on at its deadline as the runtime does.
        hung = threading.Thread(target=collect, args=(collector, 1.0), daemon=True)
        hung.start()
        hung.join(1.5)
        assert hung.is_alive(), "the read of the FIFO should block"
        # Meanwhile another run waits for the reader at most its deadline, and says why.
        with pytest.raises(CollectError) as failed:
            collect(collector, 0.3)
        assert failed.value.reason == "timeout"
        # a writer comes and goes: the stuck read finishes on its own thread
        writer = os.open(err_log, os.O_WRONLY | os.O_NONBLOCK)
        os.close(writer)
        hung.join(20)
        assert not hung.is_alive(), "the read stayed stuck after the FIFO got a writer"
        after = collect(collector, 5)
    finally:
        collector.close()
    # both lines were read by the run given up on; none may be lost, none counted twice
    assert sample(after, "pm2_sync_completed_total") == 2
    assert sample(after, "pm2_sync_last_duration_seconds") == 45.0  # the longer of the two, in seconds
