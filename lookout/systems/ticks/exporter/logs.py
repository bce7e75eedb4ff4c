"""The collector's log lines, read incrementally from Docker and counted by pattern.

Counting starts when the exporter starts: earlier lines are history, not news. Each read
asks Docker for lines since a little before the newest line already seen (Docker's
`since` is inclusive and float-rounded, and stdout/stderr can reach the log file slightly
out of order); lines are then matched on their exact nanosecond timestamps, and the ones
already counted in that overlap are remembered, so no line is counted twice or skipped.
"""
from __future__ import annotations

import re
import time
from urllib.parse import quote

from lookout.exporters.runtime import Collector, Deadline, MetricSet
from lookout.exporters.runtime.logs import get_logger
from lookout.exporters.runtime.metrics import Counter, Gauge

from .config import LogConfig
from .dockerapi import DockerDaemon, OneCallAtATime, demultiplexed, rfc3339_ns, vanished

log = get_logger("lookout.ticks.logs")

# Bytes of log read per container per scrape: a burst beyond it is read on the next scrapes
# (the cursor moves to the newest line read), never all at once into memory.
MAX_LOG_READ = 8 * 1024 * 1024
_SLACK_NS = 1_000_000  # asked of Docker beyond the exact bound, for the float rounding of `since`


class LogCursor:
    """Which lines of one container's log are new."""

    def __init__(self, start_ns: int, overlap_ns: int):
        self.start_ns = start_ns
        self.overlap_ns = overlap_ns
        self.newest_ns = start_ns
        self._counted: set[tuple[int, str]] = set()

    def lower_ns(self) -> int:
        return max(self.newest_ns - self.overlap_ns, self.start_ns)

    def since(self) -> float:
        """The `since` to ask Docker for: a hair before the exact lower bound."""
        return (self.lower_ns() - _SLACK_NS) / 1e9

    def new_lines(self, raw: bytes) -> list[str]:
        """Lines of a `logs(timestamps=True)` answer not counted before, in order."""
        lower = self.lower_ns()
        fresh: list[tuple[int, str]] = []
        for line in raw.decode("utf-8", "replace").split("\n"):
            stamp, _, text = line.partition(" ")
            ts = rfc3339_ns(stamp)
            if ts is None or ts < lower:
                continue
            key = (ts, text.rstrip("\r"))
            if key in self._counted:
                continue
            self._counted.add(key)
            fresh.append(key)
        if fresh:
            self.newest_ns = max(self.newest_ns, max(ts for ts, _ in fresh))
            bound = self.lower_ns()
            self._counted = {k for k in self._counted if k[0] >= bound}
        return [text for _, text in sorted(fresh, key=lambda k: k[0])]


# smartiesss/datadownloader scripts/ws_tick_collector.py: _stats_logger()'s minutely line
# "STATS | Ticks: N | ... | Buffer: Q=12.3% T=4.5% D=0.0% | DB Writes: ...", and
# _heartbeat_monitor()'s "No ticks received for 75s (timeout: 60s)".
BUFFER = re.compile(r"\| Buffer: Q=(\d+(?:\.\d+)?)% T=(\d+(?:\.\d+)?)% D=(\d+(?:\.\d+)?)%")
BUFFERS = ("quotes", "trades", "depth")
NO_TICKS = re.compile(r"No ticks received for \d+(?:\.\d+)?s")
# Data the collector lost for good (datadownloader 377f9a60). _flush_buffers() takes the
# buffers with get_and_clear() and then writes them; scripts/tick_writer.py tries a batch
# 3 times, logs "Failed to write {n} quotes after 3 attempts" (or trades, depth snapshots)
# and raises, and ws_tick_collector.py logs "Failed to flush buffers: {e}": that flush's
# rows are gone (nothing puts them back). The row count is a lower bound: the failed batch
# is counted, the flush's later batches and other kinds are lost without a line.
# tick_buffer.py clear_all() logs "Emergency buffer clear: {q} quotes, {t} trades, {d}
# depth snapshots discarded" on an emergency shutdown.
WRITE_FAILED = re.compile(r"Failed to write (\d+) (quotes|trades|depth snapshots) after \d+ attempts")
FLUSH_FAILED = re.compile(r"Failed to flush buffers: ")
EMERGENCY_CLEAR = re.compile(r"Emergency buffer clear: (\d+) quotes, (\d+) trades, (\d+) depth snapshots discarded")
LOST_KINDS = ("quotes", "trades", "depth")


class LineCounter:
    def __init__(self, cfg: LogConfig):
        self.patterns = {name: re.compile(rx) for name, rx in cfg.patterns.items()}
        self.ticks_rx = re.compile(cfg.reported_ticks_pattern) if cfg.reported_ticks_pattern else None
        self.counts = dict.fromkeys(self.patterns, 0)
        self.reported_ticks: float | None = None
        self.buffer: dict[str, float] = {}
        self.no_tick_warnings = 0
        self.flushes_lost = 0
        self.rows_lost = dict.fromkeys(LOST_KINDS, 0)

    def feed(self, lines: list[str]) -> None:
        for line in lines:
            if NO_TICKS.search(line):
                self.no_tick_warnings += 1
            self._losses(line)
            b = BUFFER.search(line)
            if b:
                self.buffer = {name: float(v) / 100.0 for name, v in zip(BUFFERS, b.groups())}
            for name, rx in self.patterns.items():
                if rx.search(line):
                    self.counts[name] += 1
            if self.ticks_rx:
                m = self.ticks_rx.search(line)
                if m:
                    self.reported_ticks = float(m.group(1).replace(",", ""))


    def _losses(self, line: str) -> None:
        if FLUSH_FAILED.search(line):
            self.flushes_lost += 1
        m = WRITE_FAILED.search(line)
        if m:
            self.rows_lost[m.group(2).split()[0]] += int(m.group(1))
        m = EMERGENCY_CLEAR.search(line)
        if m:
            for kind, n in zip(LOST_KINDS, m.groups()):
                self.rows_lost[kind] += int(n)


EVENTS = Counter("log_events", "Log lines of the container matching each pattern.", ("container", "event"))
REPORTED_TICKS = Gauge("log_reported_ticks", 'N of the last "STATS | Ticks: N" line.', ("container",))
BUFFER_FILL = Gauge("collector_buffer_utilization_ratio",
                    "Fill of the collector's in-memory buffer, 0..1, from its last STATS line.", ("container", "buffer"))
NO_TICK_WARNINGS = Counter("collector_no_tick_warnings",
                           'The collector\'s "No ticks received for Ns" heartbeat warnings.', ("container",))
FLUSHES_LOST = Counter("collector_flushes_lost", 'Buffer flushes the collector dropped after failed writes'
                       ' ("Failed to flush buffers: ..." lines): their rows are lost for good.', ("container",))
ROWS_LOST = Counter("collector_rows_lost", 'Rows the collector says it lost ("Failed to write N <kind> after 3'
                    ' attempts", "Emergency buffer clear"), per kind; a lower bound.', ("container", "kind"))


class LogCollector(Collector):
    name = "logs"
    metrics = (EVENTS, REPORTED_TICKS, BUFFER_FILL, NO_TICK_WARNINGS, FLUSHES_LOST, ROWS_LOST)

    def __init__(self, daemon: DockerDaemon, cfg: LogConfig):
        self.daemon = daemon
        self.cfg = cfg
        self.calls = OneCallAtATime("logs")  # also guards the cursors and counters
        # Now, not the first scrape: lines printed before the first scrape are still news.
        self.start_ns = time.time_ns()
        self.cursors: dict[str, LogCursor] = {}
        self.counters: dict[str, LineCounter] = {}

    def collect(self, out: MetricSet, deadline: Deadline) -> None:
        with self.calls.held(deadline):
            self._read(deadline)
            self._write(out)

    def _write(self, out: MetricSet) -> None:
        for name in sorted(self.counters):
            counter = self.counters[name]
            for event, n in counter.counts.items():
                out.add(EVENTS, n, container=name, event=event)
            if counter.reported_ticks is not None:
                out.add(REPORTED_TICKS, counter.reported_ticks, container=name)
            for buffer, ratio in counter.buffer.items():
                out.add(BUFFER_FILL, ratio, container=name, buffer=buffer)
            out.add(NO_TICK_WARNINGS, counter.no_tick_warnings, container=name)
            out.add(FLUSHES_LOST, counter.flushes_lost, container=name)
            for kind, n in counter.rows_lost.items():
                out.add(ROWS_LOST, n, container=name, kind=kind)

    def _read(self, deadline: Deadline) -> None:
        try:
            listed = self.daemon.select(deadline)
            self._listed(listed)
            for summary in listed:
                name = summary["name"]
                cursor = self.cursors.get(name)
                if cursor is None:
                    if len(self.cursors) >= self.daemon.cfg.max_containers:
                        self._forget_absent({s["name"] for s in listed})
                    if len(self.cursors) >= self.daemon.cfg.max_containers:
                        continue  # label cardinality stays bounded however many come and go
                    cursor = LogCursor(self.start_ns, int(self.cfg.overlap_seconds * 1e9))
                try:
                    raw = _read_logs(self.daemon, summary["Id"], cursor.since(), deadline)
                except Exception as exc:
                    if not vanished(exc):
                        raise
                    log.debug("container vanished mid-scrape", extra={"fields": {"container": name}})
                    continue
                if name not in self.cursors:  # only containers actually read get series
                    self.cursors[name], self.counters[name] = cursor, LineCounter(self.cfg)
                self.counters[name].feed(cursor.new_lines(raw))
        except Exception as exc:
            raise self.daemon.failure(exc, "reading container logs") from None

    def _forget_absent(self, present: set[str]) -> None:
        """Make room by dropping containers that are gone (their counters end there)."""
        for name in [n for n in self.cursors if n not in present]:
            del self.cursors[name], self.counters[name]

    def _listed(self, summaries: list[dict]) -> None:
        """Between listing and reading; a seam where the tests remove a container."""

    def close(self) -> None:
        self.daemon.close()


def _read_logs(daemon: DockerDaemon, container_id: str, since: float, deadline: Deadline) -> bytes:
    """At most MAX_LOG_READ bytes of the container's log since `since` (Unix seconds), cut
    after a whole line; the rest is read by the next scrapes."""
    answer, cut = daemon.get(f"/containers/{quote(container_id)}/logs", daemon.timeout(deadline), MAX_LOG_READ,
                             cut=True, stdout=1, stderr=1, timestamps=1, since=since, follow=0)
    raw = demultiplexed(answer)
    if cut:
        end = raw.rfind(b"\n")
        if end >= 0:  # a single longer line is kept truncated, so the cursor still moves
            raw = raw[: end + 1]
    return raw
