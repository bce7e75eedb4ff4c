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

import threading
import time
from lookout.records import record, field
TYPE_CHECKING = False  # typing's own flag, without importing typing (issue 24: start-up)
if TYPE_CHECKING:
    from typing import Callable

from . import selfmetrics as sm
from .collector import CollectError, Collector, reason_of
from .deadline import Deadline
from .flags import python_version
from .logs import get_logger
from .render import OPENMETRICS, encode, negotiate
from .metrics import Labels, MetricSet
from .process import process_families, process_rows
from .secrets import redact
from .threads import Runner

log = get_logger("lookout.scrape")

# A collector's own timeouts fire at the deadline; the runtime gives up on it this much later,
# so the collector's precise reason (and its cleanup) wins over a bare "timeout".
_GRACE = 0.05
# A scrape that joined a collection waits this much past its deadline (a starved machine's
# latency) for it, then answers with what finished and `timeout` for the rest.
_JOIN_SLACK = 0.1
# A scrape joins a collection in flight only if it started at most this long before the
# scrape arrived: what it shows is then never older than this.
JOIN_WINDOW = 1.0
# Runs of one collector given up on at the deadline and still going; at this many, the
# collector fails fast instead of piling up more threads.
_MAX_STUCK_RUNS = 3


@record
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


@record
class Outcome:
    """One collector's result in one collection."""

    part: MetricSet | None
    success: bool
    reason: str
    duration: float


@record
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
    """One collection: its runs, their outcomes, and the snapshot once it is built."""

    def __init__(self, deadline: Deadline):
        self.deadline = deadline
        self.started = time.perf_counter()
        self.outcomes: dict[str, Outcome] = {}
        self.pending = 0  # runs that have not ended yet (under the scraper's lock)
        # Released by the last run to end: one wait for all runs (a bare lock is the cheapest
        # signal a thread can wait on with a timeout).
        self.ran = threading.Lock()
        self.ran.acquire()
        self.done = threading.Event()  # set once `snapshot` is built
        self.snapshot: Snapshot | None = None


class _Run:
    """One collector in one collection, on a runner thread."""

    __slots__ = ("scraper", "coll", "collector", "part", "start", "given_up", "error")

    def __init__(self, scraper: "Scraper", coll: _Collection, collector: Collector):
        self.scraper, self.coll, self.collector = scraper, coll, collector
        self.part = MetricSet(scraper.namespace)
        self.start = time.perf_counter()
        self.given_up = False
        self.error: BaseException | None = None

    def __call__(self) -> None:
        try:
            self.collector.collect(self.part, self.coll.deadline)
        except BaseException as exc:  # a collector's failure is data, never a failed scrape
            self.error = exc

    def ended(self) -> None:
        """On the run's thread, once it is idle again: the outcome, unless given up on."""
        self.scraper._ended(self)


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
        # Guards the collections in flight, their outcomes, the statuses and the stuck counts:
        # runs end on their own threads while scrapes read and build on theirs.
        self._lock = threading.Lock()
        self._stuck: dict[str, int] = dict.fromkeys(names, 0)  # runs given up on, still running
        self._runner = Runner(f"{namespace}-collect", max_idle=max(len(collectors), 1) * 2)
        self._label_sets: dict[tuple, Labels] = {}

    def snapshot(self, deadline: Deadline) -> Snapshot:
        """A collection's result, blocking until it is built, at most until `deadline` (plus
        _GRACE / _JOIN_SLACK); callable from any thread. The caller that starts a collection
        runs it to its end; callers arriving meanwhile join it when `_joinable` allows."""
        last = self._last
        if last and self.min_interval > 0 and time.monotonic() - last.at < self.min_interval:
            return last
        with self._lock:
            coll = self._joinable(deadline)
            mine = coll is None
            if mine:
                coll = _Collection(deadline)
                self._inflight.append(coll)
        if mine:
            try:
                return self._collect(coll)
            except Exception as exc:
                log.error("collection crashed: %s", redact(str(exc)))
                raise
            finally:
                with self._lock:
                    self._inflight.remove(coll)
                coll.done.set()  # joiners of a crashed collection answer with what finished
        if coll.done.wait(deadline.remaining() + _JOIN_SLACK) and coll.snapshot is not None:
            return coll.snapshot
        # The collection did not end in time (a starved machine): what finished, and
        # `timeout` for the rest.
        return self._partial(coll)

    def _joinable(self, deadline: Deadline) -> _Collection | None:
        """The newest collection in flight that started within JOIN_WINDOW and must end by
        `deadline`, if any (under the lock).

        One started under a longer deadline (a large timeout header) is not joined: its results
        could arrive after this scrape must answer, and waiting for it is how old data used to
        be served as new. One started long ago is not joined: its early results are old.
        """
        now = time.perf_counter()
        for coll in reversed(self._inflight):
            if now - coll.started <= JOIN_WINDOW and coll.deadline.at <= deadline.at:
                return coll
        return None

    def _collect(self, coll: _Collection) -> Snapshot:
        """Every collector on a thread of its own, all bounded by one wait: at the deadline the
        collection gives up on the unfinished runs without waiting for them (a driver stuck in
        cleanup, a connection release to a frozen server, would hold it past its deadline)."""
        runs: list[_Run] = []
        failed: list[dict | None] = []
        with self._lock:
            for c in self.collectors:
                self.status[c.name].attempts += 1
                run = _Run(self, coll, c)
                stuck = self._stuck[c.name]
                if stuck >= _MAX_STUCK_RUNS:  # fail fast instead of piling up more
                    failed.append(self._record(run, CollectError("timeout", f"{stuck} earlier runs are still stuck")))
                else:
                    runs.append(run)
            coll.pending = len(runs)
        for fields in failed:
            _log_failure(fields)
        for run in runs:
            try:
                self._runner.start(run, run.ended)
            except RuntimeError:  # "can't start new thread" (a pids limit): a failed run, now
                run.error = CollectError("error", "cannot start a thread")
                run.ended()
        if runs and not coll.ran.acquire(timeout=coll.deadline.remaining() + _GRACE):
            failed = []
            with self._lock:
                for run in runs:
                    if run.collector.name not in coll.outcomes:
                        run.given_up = True
                        self._stuck[run.collector.name] += 1
                        failed.append(self._record(
                            run, CollectError("timeout", "did not finish before the scrape deadline")))
            for fields in failed:
                _log_failure(fields)
        with self._lock:
            self.collections += 1
            outcomes = dict(coll.outcomes)
        snap = self._build(outcomes, time.perf_counter())
        coll.snapshot = snap
        if self.min_interval > 0:  # else nothing reuses it, and it holds a whole scrape's rows
            self._last = snap
        return snap

    def _ended(self, run: _Run) -> None:
        """A run's end: its outcome, or (given up on at the deadline) only one stuck run less."""
        fields = None
        with self._lock:
            coll = run.coll
            if run.given_up:
                self._stuck[run.collector.name] -= 1
            else:
                error = run.error
                if error is not None and not isinstance(error, Exception):
                    # A BaseException of the collector's own (SystemExit from a library, a
                    # CancelledError from a bridged driver): a failed collector, not a crash.
                    error = CollectError("error", f"the collector ended with {type(error).__name__}")
                fields = self._record(run, error)
            coll.pending -= 1
            if coll.pending == 0:
                coll.ran.release()
        run.error = None  # drop the traceback's frames now
        if fields:
            _log_failure(fields)

    def _partial(self, coll: _Collection) -> Snapshot:
        with self._lock:
            outcomes = dict(coll.outcomes)
        if coll.snapshot is not None:
            return coll.snapshot
        now = time.perf_counter()
        for c in self.collectors:
            if c.name not in outcomes:
                outcomes[c.name] = Outcome(None, False, "timeout", now - coll.started)
        return self._build(outcomes, now)

    def _record(self, run: _Run, exc: BaseException | None) -> dict | None:
        """The run's outcome into its collection and its collector's status (under the lock);
        the fields to log a failure with, once the lock is released."""
        collector, part = run.collector, run.part
        st = self.status[collector.name]
        fields = None
        if exc is not None:
            reason = reason_of(exc)
            st.success, st.reason = False, reason
            st.error = redact(str(exc) or type(exc).__name__)
            if reason == "timeout" and not str(exc):
                st.error = "did not finish before the scrape deadline"
            st.errors[reason] = st.errors.get(reason, 0) + 1
            fields = {"collector": collector.name, "reason": reason, "err": st.error}
            kept, success = part.committed_part(), False
        else:
            st.success, st.reason, st.error = True, "", ""
            st.last_success = time.time()
            reason, kept, success = "", part, True
        for name in list(part.missing_fields):
            st.missing[name] = st.missing.get(name, 0) + 1
        st.duration = time.perf_counter() - run.start
        run.coll.outcomes[collector.name] = Outcome(kept, success, reason, st.duration)
        return fields

    def _build(self, outcomes: dict[str, Outcome], now: float) -> Snapshot:
        out = MetricSet(self.namespace)
        for c in self.collectors:
            o = outcomes.get(c.name)
            if o is not None and o.part is not None:
                out.merge(o.part)
        up = all(outcomes[c.name].success for c in self.collectors if c.critical)
        with self._lock:  # the statuses, which runs of other collections update
            self._self_metrics(out, outcomes, up)
        if self.extra_metrics is not None:
            self.extra_metrics(out)
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


def _log_failure(fields: dict | None) -> None:
    if fields is not None:
        log.warning("collector failed", extra={"fields": fields})
