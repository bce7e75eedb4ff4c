"""One backend read shared by two collectors: the one that reports the data, and the
one that reports whether the backend answered.

Why two: the runtime drops everything a failing collector wrote, but
`pm2_daemon_up 0` and `pm2_sync_health_up 0` are exactly what the alerts need when
the daemon or the health endpoint is gone. The data collector fails (marking
`pm2_collector_success` and, for the daemon, `pm2_up`); the reachability collector
never fails and writes the 0.
"""
from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable

from lookout.exporters.runtime import Collector, Deadline, MetricSet
from lookout.exporters.runtime.metrics import Gauge

# The reachability collector answers this much before the scrape deadline, so its 0
# is written even when the backend hangs until the very end.
_MARGIN = 0.05


class SharedRead:
    """Single flight: callers during one collection await the same read."""

    def __init__(self, read: Callable[[Deadline], Awaitable[Any]]):
        self._read = read
        self._inflight: asyncio.Task | None = None

    async def get(self, deadline: Deadline) -> Any:
        task = self._inflight
        if task is None:
            task = asyncio.get_running_loop().create_task(self._read(deadline))
            self._inflight = task
            task.add_done_callback(self._done)
        # shield: one caller timing out must not cancel the read the other awaits
        return await asyncio.shield(task)

    def _done(self, task: asyncio.Task) -> None:
        if self._inflight is task:
            self._inflight = None
        if not task.cancelled():
            task.exception()  # retrieved here so an abandoned failure is not logged as lost


DAEMON_UP = Gauge("daemon_up", "Whether the PM2 daemon's RPC socket answered.")
SYNC_HEALTH_UP = Gauge("sync_health_up",
                       "Whether the sync server's health endpoint answered with its health JSON (200 or 503).")


class ReachabilityCollector(Collector):
    critical = False
    metrics = (DAEMON_UP, SYNC_HEALTH_UP)

    def __init__(self, name: str, metric: Gauge, read: SharedRead):
        self.name, self.metric, self.read = name, metric, read

    async def collect(self, out: MetricSet, deadline: Deadline) -> None:
        try:
            await asyncio.wait_for(self.read.get(deadline), max(deadline.remaining() - _MARGIN, 0.0))
            up = 1
        except Exception:  # the data collector reports why; here only whether
            up = 0
        out.add(self.metric, up)
