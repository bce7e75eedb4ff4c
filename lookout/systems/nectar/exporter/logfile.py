"""Nectar's own output: reconnection episodes and give-ups, dropped blocks, and lines counted by pattern.

Reads Nectar's stdout log (Go's log prefix) and/or its unified_errors.log, each with the
runtime's rotation-safe tail, from their end when first opened (history is not news).
"""
from __future__ import annotations

import threading

from lookout.exporters.runtime.held import held
from lookout.exporters.runtime import Collector, Deadline, MetricSet
from lookout.exporters.runtime.logtail import FileTail, PatternCounter
from lookout.exporters.runtime.metrics import Counter

from .config import LogFileConfig
from .reconnects import EpisodeCounter


EPISODES = Counter("reconnect_episodes", "Database reconnection episodes in Nectar's own output "
                   "(one outage, however many lines).")
GIVEUPS = Counter("reconnect_giveups", "Times Nectar gave up reconnecting ('failed to reconnect after N attempts').")
DROPPED = Counter("blocks_dropped", "Blocks Nectar's workers gave up on ('failed to process block at slot N"
                  " after K attempts' in unified_errors.log): not indexed, a gap in the chain.")
LOG_EVENTS = Counter("log_events", "Lines of Nectar's stdout log matching each configured pattern.", labels=("event",))


class LogFileCollector(Collector):
    name = "logfile"
    metrics = (EPISODES, GIVEUPS, DROPPED, LOG_EVENTS)

    def __init__(self, cfg: LogFileConfig):
        self.stdout = FileTail(cfg.path) if cfg.path else None
        self.unified = FileTail(cfg.unified_errors_path) if cfg.unified_errors_path else None
        self.counter = PatternCounter(cfg.patterns) if cfg.path else None
        self.episodes = EpisodeCounter(cfg.episode_gap_seconds)
        # One reader at a time, even past a read that hung (a stalled network mount): the
        # tails' offsets must advance once per line, and the counts are read as one.
        self._lock = threading.Lock()

    def collect(self, out: MetricSet, deadline: Deadline) -> None:
        with held(self._lock, deadline, "an earlier read of Nectar's log is still running"):
            self._read()
            out.add(EPISODES, self.episodes.episodes)
            out.add(GIVEUPS, self.episodes.giveups)
            if self.unified is not None:
                out.add(DROPPED, self.episodes.dropped_blocks)
            if self.counter is not None:
                for event, n in self.counter.counts.items():
                    out.add(LOG_EVENTS, n, event=event)

    def _read(self) -> None:
        if self.stdout is not None:
            lines = self.stdout.read_lines()
            self.counter.feed(lines)
            self.episodes.feed_stdout(lines)
        if self.unified is not None:
            self.episodes.feed_unified(self.unified.read_lines())

    def close(self) -> None:
        for tail in (self.stdout, self.unified):
            if tail is not None:
                tail.close()
