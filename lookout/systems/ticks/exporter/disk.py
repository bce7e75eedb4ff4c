"""Disk usage of watched paths (the database volume): "disk usage > 90%"."""
from __future__ import annotations

import os

from lookout.exporters.runtime import BlockingPool, CollectError, Collector, Deadline, MetricSet
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
        self._pool = BlockingPool("disk", 1, max_abandoned=1)

    async def collect(self, out: MetricSet, deadline: Deadline) -> None:
        # statvfs can block on a hung network mount; keep that off the event loop.
        for path, st in await self._pool.run(self._stat_all, timeout=deadline.remaining()):
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
