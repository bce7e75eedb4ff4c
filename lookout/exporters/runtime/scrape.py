"""Collections under a scrape's deadline: fresh or failed, never old data as new.

Why single flight and a minimum interval: several Prometheus servers, a wall screen and a
scrape storm must not multiply the queries sent to a production database. So a scrape joins a
collection already in flight, but only one that must end by the scrape's own deadline: every
result it then shows was collected while the scrape waited (or just before, by the collection
it joined). A scrape never falls back to an older collection; a collector that has not finished
by the deadline is reported as failed with reason `timeout`, and `<ns>_up` follows.
The opt-in minimum interval is the one exception, and says so in `<ns>_scrape_cache_age_seconds`.
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Callable

from . import selfmetrics as sm
from .collector import CollectError, Collector, reason_of
from .deadline import Deadline
from .flags import python_version
from .render import OPENMETRICS, encode, negotiate
from .metrics import Labels, MetricSet
from .process import process_families, process_rows
from .secrets import redact

log = logging.getLogger("lookout.scrape")

# A collector's own timeouts fire at the deadline; the runtime cancels it this much later, so
# the collector's precise reason (and its cleanup) wins over a bare "timeout".
_GRACE = 0.05
# A scrape waits this much past its deadline (event-loop latency) for the collection, then
# answers with what finished and `timeout` for the rest.
_JOIN_SLACK = 0.1
# A scrape joins a collection in flight only if it started at most this long before the
# scrape arrived: what it shows is then never older than this.
JOIN_WINDOW = 1.0
# Runs of one collector that ignored cancellation and are still going; past this many, the
# collector fails fast instead of piling up more.
_MAX_STUCK_RUNS = 3


@dataclass
class CollectorStatus:
    """What the landing page shows and the counters count, across collections."""

    success: bool = False
    duration: float = 0.0
    last_success: float = 0.0
    error: str = ""
    reason: str = ""
    attempts: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    missing: dict[str, int] = field(default_factory=dict)


@dataclass
class Outcome:
    """One collector's result in one collection."""

    part: MetricSet | None
    success: bool
    reason: str
    duration: float


@dataclass
class Snapshot:
    """The result of one collection, rendered at most once per format."""

    metrics: MetricSet
    at: float
    rendered: dict[str, bytes] = field(default_factory=dict)

    def collect(self):  # every family this snapshot shows, in exposition order
        return [*self.metrics.families(), *process_families()]

    def encode(self, fmt: str, escaping: str) -> bytes:
        return encode([*self.metrics.rows(), *process_rows()], fmt, escaping)


class _Collection:
    def __init__(self, deadline: Deadline):
        self.deadline = deadline
        self.started = time.perf_counter()
        self.outcomes: dict[str, Outcome] = {}
        self.task: asyncio.Task | None = None
        self.snapshot: Snapshot | None = None


class _Run:
    """One collector in one collection."""

    __slots__ = ("collector", "part", "start", "task", "given_up")

    def __init__(self, collector: Collector, part: MetricSet):
        self.collector, self.part = collector, part
        self.start = time.perf_counter()
        self.task: asyncio.Task | None = None
        self.given_up = False


class Scraper:
    def __init__(self, namespace: str, collectors: list[Collector], version: str,
                 min_interval: float = 0.0, extra_metrics: Callable[[MetricSet], None] | None = None,
                 revision: str = "unknown"):
        names = [c.name for c in collectors]
        if len(set(names)) != len(names) or not all(names):
            raise ValueError(f"collector names must be unique and non-empty: {names}")
        self.namespace = namespace
        self.collectors = collectors
        self.version = version
        self.revision = revision  # the git commit (flags.revision(), looked up once at start)
        self.min_interval = min_interval
        self.extra_metrics = extra_metrics  # the runtime's own state besides collectors (web-config reloads)
        self.status = {c.name: CollectorStatus() for c in collectors}
        for c in collectors:
            st = self.status[c.name]
            st.errors = dict.fromkeys((*sm.KNOWN_REASONS, *c.reasons), 0)
            st.missing = dict.fromkeys(c.field_names(), 0)
        self.collections = 0
        self._last: Snapshot | None = None  # only ever reused under min_interval
        self._inflight: list[_Collection] = []
        self._stuck: dict[str, set[asyncio.Task]] = {c.name: set() for c in collectors}
        self._label_sets: dict[tuple, Labels] = {}

    async def snapshot(self, deadline: Deadline) -> Snapshot:
        last = self._last
        if last and self.min_interval > 0 and time.monotonic() - last.at < self.min_interval:
            return last
        coll = self._joinable(deadline)
        if coll is None:
            coll = _Collection(deadline)
            coll.task = asyncio.get_running_loop().create_task(self._collect(coll))
            coll.task.add_done_callback(lambda t, c=coll: self._finished(c, t))
            self._inflight.append(coll)
        try:
            # shield: one impatient client must not cancel the collection others wait on
            return await asyncio.wait_for(asyncio.shield(coll.task), deadline.remaining() + _JOIN_SLACK)
        except asyncio.TimeoutError:
            # The loop was too busy to finish in time: what finished, and `timeout` for the rest.
            return self._partial(coll)

    def _joinable(self, deadline: Deadline) -> _Collection | None:
        """The newest collection in flight that started within JOIN_WINDOW and must end by
        `deadline`, if any.

        One started under a longer deadline (a large timeout header) is not joined: its results
        could arrive after this scrape must answer, and waiting for it is how old data used to
        be served as new. One started long ago is not joined: its early results are old.
        """
        now = time.perf_counter()
        for coll in reversed(self._inflight):
            if now - coll.started <= JOIN_WINDOW and coll.deadline.at <= deadline.at:
                return coll
        return None

    def _finished(self, coll: _Collection, task: asyncio.Task) -> None:
        if coll in self._inflight:
            self._inflight.remove(coll)
        if not task.cancelled() and task.exception():
            log.error("collection crashed: %s", redact(str(task.exception())))

    async def _collect(self, coll: _Collection) -> Snapshot:
        """Every collector in a task of its own, all bounded by one wait: at the deadline the
        collection gives up on the unfinished ones without waiting for them (`asyncio.wait_for`
        would wait for a cancelled collector to finish, and a driver stuck in cleanup, a
        connection release to a frozen server, would hold the collection past its deadline)."""
        loop = asyncio.get_running_loop()
        runs: list[_Run] = []
        for c in self.collectors:
            run = _Run(c, MetricSet(self.namespace))
            self.status[c.name].attempts += 1
            stuck = self._stuck[c.name]
            if len(stuck) >= _MAX_STUCK_RUNS:  # fail fast instead of piling up more
                self._record(run, coll, CollectError("timeout", f"{len(stuck)} earlier runs are still stuck"))
                continue
            run.task = loop.create_task(self._run(run, coll))
            runs.append(run)
        if runs:
            await asyncio.wait([run.task for run in runs], timeout=coll.deadline.remaining() + _GRACE)
        for run in runs:
            if not run.task.done():
                run.given_up = True
                run.task.cancel()
                stuck = self._stuck[run.collector.name]
                stuck.add(run.task)
                run.task.add_done_callback(stuck.discard)
                self._record(run, coll, CollectError("timeout", "did not finish before the scrape deadline"))
            elif run.collector.name not in coll.outcomes:
                # Ended by a CancelledError of its own (a future someone else cancelled), which
                # `except Exception` does not catch: a failed collector, not a crashed scrape.
                self._record(run, coll, CollectError("error", "the collector was cancelled from within"))
        self.collections += 1
        snap = self._build(coll.outcomes, time.perf_counter())
        coll.snapshot = self._last = snap
        return snap

    def _partial(self, coll: _Collection) -> Snapshot:
        if coll.snapshot is not None:
            return coll.snapshot
        now = time.perf_counter()
        outcomes = dict(coll.outcomes)
        for c in self.collectors:
            if c.name not in outcomes:
                outcomes[c.name] = Outcome(None, False, "timeout", now - coll.started)
        return self._build(outcomes, now)

    async def _run(self, run: "_Run", coll: _Collection) -> None:
        """One collector's run; its outcome is recorded when it ends, unless it was given up on
        at the deadline (its late end then changes nothing)."""
        try:
            await run.collector.collect(run.part, coll.deadline)
        except Exception as exc:  # a collector's failure is data, never a failed scrape
            if not run.given_up:
                self._record(run, coll, exc)
        else:
            if not run.given_up:
                self._record(run, coll, None)

    def _record(self, run: "_Run", coll: _Collection, exc: Exception | None) -> None:
        collector, part = run.collector, run.part
        st = self.status[collector.name]
        if exc is not None:
            reason = reason_of(exc)
            st.success, st.reason = False, reason
            st.error = redact(str(exc) or type(exc).__name__)
            if reason == "timeout" and not str(exc):
                st.error = "did not finish before the scrape deadline"
            st.errors[reason] = st.errors.get(reason, 0) + 1
            log.warning("collector failed", extra={"fields": {
                "collector": collector.name, "reason": reason, "err": st.error}})
            kept, success = part.committed_part(), False
        else:
            st.success, st.reason, st.error = True, "", ""
            st.last_success = time.time()
            reason, kept, success = "", part, True
        for name in part.missing_fields:
            st.missing[name] = st.missing.get(name, 0) + 1
        st.duration = time.perf_counter() - run.start
        coll.outcomes[collector.name] = Outcome(kept, success, reason, st.duration)

    def _build(self, outcomes: dict[str, Outcome], now: float) -> Snapshot:
        out = MetricSet(self.namespace)
        for c in self.collectors:
            o = outcomes.get(c.name)
            if o is not None and o.part is not None:
                out.merge(o.part)
        up = all(outcomes[c.name].success for c in self.collectors if c.critical)
        self._self_metrics(out, outcomes, up)
        return Snapshot(out, time.monotonic())

    def _self_metrics(self, out: MetricSet, outcomes: dict[str, Outcome], up: bool) -> None:
        out.add(sm.UP, 1 if up else 0)
        labels, success, duration, last = [], [], [], []
        error_labels, errors, missing_labels, missing = [], [], [], []
        for c in self.collectors:
            st, o = self.status[c.name], outcomes[c.name]
            labels.append(self._labels(sm.SUCCESS, c.name))  # SUCCESS, DURATION and LAST_SUCCESS share label names
            success.append(1 if o.success else 0)
            duration.append(o.duration)
            last.append(st.last_success)
            for reason, n in sorted(st.errors.items()):
                error_labels.append(self._labels(sm.ERRORS, c.name, reason))
                errors.append(n)
            for name, n in sorted(st.missing.items()):
                missing_labels.append(self._labels(sm.FIELDS_MISSING, c.name, name))
                missing.append(n)
        # One family at a time, in the order (and with the rows) a sample at a time gave.
        for desc, lbls, values in ((sm.SUCCESS, labels, success), (sm.DURATION, labels, duration),
                                   (sm.LAST_SUCCESS, labels, last), (sm.ERRORS, error_labels, errors),
                                   (sm.FIELDS_MISSING, missing_labels, missing)):
            out.add_many(desc, lbls, values)
        out.add(sm.COLLECTIONS, self.collections)
        out.add(sm.BUILD_INFO, 1, version=self.version, revision=self.revision, python_version=python_version())
        if self.extra_metrics is not None:
            self.extra_metrics(out)

    def _labels(self, desc, collector: str, third: str | None = None) -> Labels:
        """The label set of a per-collector self-metric sample, checked and ordered once (the
        sets are fixed: the collectors, their reasons and fields); the values stay fresh."""
        key = (desc.name, collector, third)
        found = self._label_sets.get(key)
        if found is None:
            extra = {} if third is None else {"reason" if desc is sm.ERRORS else "field": third}
            found = self._label_sets[key] = Labels(desc, exporter=self.namespace, collector=collector, **extra)
        return found

    # --- rendering ---------------------------------------------------------------

    def render(self, snap: Snapshot, accept: str | None) -> tuple[bytes, str]:
        fmt, escaping, content_type = negotiate(accept)
        openmetrics = fmt == OPENMETRICS
        body = snap.rendered.get(content_type)
        if body is None:
            body = snap.encode(fmt, escaping)
            if openmetrics and body.endswith(b"# EOF\n"):
                body = body[: -len(b"# EOF\n")]
            snap.rendered[content_type] = body
        tail = ""
        if self.min_interval > 0:
            # The cache age changes on every scrape, so it is appended after the cached body.
            age = max(time.monotonic() - snap.at, 0.0)
            name = sm.CACHE_AGE.full_name(self.namespace)
            tail = f"# HELP {name} {sm.CACHE_AGE.help}\n# TYPE {name} gauge\n{name} {age:.6f}\n"
        if openmetrics:
            tail += "# EOF\n"
        return body + tail.encode(), content_type
