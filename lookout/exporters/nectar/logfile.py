"""Nectar's own log: reconnections, give-ups and errors, counted from the lines it writes."""
from __future__ import annotations

import asyncio

from lookout.exporters.runtime import Collector, Deadline, MetricSet
from lookout.exporters.runtime.logtail import FileTail, PatternCounter

from .config import LogFileConfig


class LogFileCollector(Collector):
    name = "logfile"

    def __init__(self, cfg: LogFileConfig):
        self.tail = FileTail(cfg.path)
        self.counter = PatternCounter(cfg.patterns)
        self._lock = asyncio.Lock()

    async def collect(self, out: MetricSet, deadline: Deadline) -> None:
        async with self._lock:  # the tail's offset must advance once per line
            lines = await asyncio.to_thread(self.tail.read_lines)
            self.counter.feed(lines)
        for event, n in self.counter.counts.items():
            out.counter("log_events", "Lines of Nectar's log matching each configured pattern.", n, {"event": event})

    async def close(self) -> None:
        self.tail.close()
