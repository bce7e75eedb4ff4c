"""Disk usage of watched paths (the database volume): "disk usage > 90%"."""
from __future__ import annotations

import os

from lookout.exporters.runtime import BlockingPool, CollectError, Collector, Deadline, MetricSet


class DiskCollector(Collector):
    name = "disk"

    def __init__(self, paths: list[str]):
        self.paths = paths
        self._pool = BlockingPool("disk", 1, max_abandoned=1)

    async def collect(self, out: MetricSet, deadline: Deadline) -> None:
        # statvfs can block on a hung network mount; keep that off the event loop.
        for path, st in await self._pool.run(self._stat_all, timeout=deadline.remaining()):
            size = st.f_blocks * st.f_frsize
            used = (st.f_blocks - st.f_bfree) * st.f_frsize
            lbl = {"path": path}
            out.gauge("disk_size_bytes", "Size of the filesystem holding the path.", size, lbl)
            out.gauge("disk_used_bytes", "Bytes used on that filesystem (as df counts them).", used, lbl)
            out.gauge("disk_available_bytes", "Bytes an unprivileged writer can still use.",
                      st.f_bavail * st.f_frsize, lbl)
            out.gauge("disk_used_ratio", "Used bytes divided by the filesystem's size.", used / size if size else 0, lbl)

    def _stat_all(self) -> list[tuple[str, os.statvfs_result]]:
        result = []
        for path in self.paths:
            try:
                result.append((path, os.statvfs(path)))
            except OSError as exc:
                raise CollectError("path", f"cannot stat {path}: {exc.strerror}") from None
        return result
