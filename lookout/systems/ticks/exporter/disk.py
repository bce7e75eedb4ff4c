"""Disk usage of watched paths (the database volume): "disk usage > 90%"."""
from __future__ import annotations

import os
import threading

from lookout.exporters.runtime.held import held
from lookout.exporters.runtime import CollectError, Collector, Deadline, MetricSet
from lookout.exporters.runtime.metrics import Gauge


_P = ("path",)
SIZE = Gauge("disk_size_bytes", "Size of the filesystem holding the path.", _P)
USED = Gauge("disk_used_bytes", "Bytes used on that filesystem (as df counts them).", _P)
AVAILABLE = Gauge("disk_available_bytes", "Bytes an unprivileged writer can still use.", _P)
USED_RATIO = Gauge("disk_used_ratio", "Used bytes divided by the filesystem's size.", _P)


class DiskCollector(Collector):
    name = "disk"
    metrics = (SIZE, USED, AVAILABLE, USED_RATIO,)

    def __init__(self, paths: list[str]):
        self.paths = paths
        # statvfs can block on a hung network mount and takes no timeout: the runtime gives up
        # on that run at the deadline and its thread comes back when the mount answers. One
        # run at a time, so a mount that never answers costs one thread, not one per scrape.
        self._one_at_a_time = threading.Lock()

    def collect(self, out: MetricSet, deadline: Deadline) -> None:
        with held(self._one_at_a_time, deadline, "the previous statvfs of the disk paths has not returned yet"):
            stats = self._stat_all()
        for path, st in stats:
            size = st.f_blocks * st.f_frsize
            used = (st.f_blocks - st.f_bfree) * st.f_frsize
            lbl = {"path": path}
            out.add(SIZE, size, **lbl)
            out.add(USED, used, **lbl)
            out.add(AVAILABLE, st.f_bavail * st.f_frsize, **lbl)
            out.add(USED_RATIO, used / size if size else 0, **lbl)

    def _stat_all(self) -> list[tuple[str, os.statvfs_result]]:
        result = []
        for path in self.paths:
            try:
                result.append((path, os.statvfs(path)))
            except OSError as exc:
                raise CollectError("path", f"cannot stat {path}: {exc.strerror}") from None
        return result
