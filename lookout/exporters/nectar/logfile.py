"""Nectar's own log: reconnections, give-ups and errors, counted from the lines it writes."""
from __future__ import annotations

import asyncio

from lookout.exporters.runtime import BlockingPool, Collector, Deadline, MetricSet
from lookout.exporters.runtime.logtail import FileTail, PatternCounter

from .config import LogFileConfig


class LogFileCollector(Collector):
    name = "logfile"

    def __init__(self, cfg: LogFileConfig):
        self.tail = FileTail(cfg.path)
        self.counter = PatternCounter(cfg.patterns)
        self._lock = asyncio.Lock()
        # One reader at a time, even past a read that hung (max_abandoned=0).
        self._pool = BlockingPool("logfile", 1, max_abandoned=0)

    async def collect(self, out: MetricSet, deadline: Deadline) -> None:
        async with self._lock:  # the tail's offset must advance once per line
            lines = await self._pool.run(self.tail.read_lines, timeout=deadline.remaining())
            self.counter.feed(lines)
        for event, n in self.counter.counts.items():
            out.counter("log_events", "Lines of Nectar's log matching each configured pattern.", n, {"event": event})

    async def close(self) -> None:
        self.tail.close()
