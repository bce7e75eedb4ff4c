"""One collection shared by every concurrent scrape, under the scrape's deadline.

Why single flight and a minimum interval: several Prometheus servers, a wall screen
and a scrape storm must not multiply the queries sent to a production database.
"""
from __future__ import annotations

import asyncio
import logging
import platform
import time
from dataclasses import dataclass, field

from prometheus_client.exposition import choose_encoder

from .collector import Collector, reason_of
from .deadline import Deadline
from .metrics import MetricSet
from .secrets import redact

log = logging.getLogger("lookout.scrape")


@dataclass
class CollectorStatus:
    success: bool = False
    duration: float = 0.0
    last_success: float = 0.0
    error: str = ""
    reason: str = ""
    attempts: int = 0
    errors: dict[str, int] = field(default_factory=dict)


@dataclass
class Snapshot:
    """The result of one collection, rendered at most once per format."""

    metrics: MetricSet
    at: float
    rendered: dict[str, bytes] = field(default_factory=dict)

    def collect(self):  # what prometheus_client's encoders expect of a registry
        return list(self.metrics.families())


class Scraper:
    def __init__(self, namespace: str, collectors: list[Collector], version: str,
                 min_interval: float = 0.0):
        names = [c.name for c in collectors]
        if len(set(names)) != len(names) or not all(names):
            raise ValueError(f"collector names must be unique and non-empty: {names}")
        self.namespace = namespace
        self.collectors = collectors
        self.version = version
        self.min_interval = min_interval
        self.status = {c.name: CollectorStatus() for c in collectors}
        self.collections = 0
        self._last: Snapshot | None = None
        self._inflight: asyncio.Task | None = None

    async def snapshot(self, deadline: Deadline) -> Snapshot:
        last = self._last
        if last and self.min_interval > 0 and time.monotonic() - last.at < self.min_interval:
            return last
        if self._inflight is None:
            self._inflight = asyncio.get_running_loop().create_task(self._collect(deadline))
            self._inflight.add_done_callback(self._clear_inflight)
        try:
            # shield: one impatient client must not cancel the collection others wait on
            return await asyncio.wait_for(asyncio.shield(self._inflight), deadline.remaining() + 0.05)
        except asyncio.TimeoutError:
            # Only reachable when joining a collection started under a longer deadline.
            return self._last or self._empty()

    def _clear_inflight(self, task: asyncio.Task) -> None:
        self._inflight = None
        if not task.cancelled() and task.exception():
            log.error("collection crashed: %s", redact(str(task.exception())))

    def _empty(self) -> Snapshot:
        out = MetricSet(self.namespace)
        self._self_metrics(out, up=False)
        return Snapshot(out, time.monotonic())

    async def _collect(self, deadline: Deadline) -> Snapshot:
        results = await asyncio.gather(*(self._run(c, deadline) for c in self.collectors))
        out = MetricSet(self.namespace)
        for part in results:
            if part is not None:
                out.merge(part)
        self.collections += 1
        up = all(self.status[c.name].success for c in self.collectors if c.critical)
        self._self_metrics(out, up)
        snap = Snapshot(out, time.monotonic())
        self._last = snap
        return snap

    async def _run(self, collector: Collector, deadline: Deadline) -> MetricSet | None:
        st = self.status[collector.name]
        part = MetricSet(self.namespace)
        start = time.perf_counter()
        st.attempts += 1
        try:
            await asyncio.wait_for(collector.collect(part, deadline), deadline.remaining())
        except Exception as exc:  # a collector's failure is data, never a failed scrape
            st.success, st.reason = False, reason_of(exc)
            st.error = redact(str(exc) or type(exc).__name__)
            st.errors[st.reason] = st.errors.get(st.reason, 0) + 1
            log.warning("collector failed", extra={"fields": {
                "collector": collector.name, "reason": st.reason, "err": st.error}})
            part = None
        else:
            st.success, st.reason, st.error = True, "", ""
            st.last_success = time.time()
        st.duration = time.perf_counter() - start
        return part

    def _self_metrics(self, out: MetricSet, up: bool) -> None:
        out.gauge("up", "Whether the exporter's backends answered in the last collection.", 1 if up else 0)
        for name, st in self.status.items():
            lbl = {"collector": name}
            out.gauge("collector_success", "Whether the collector succeeded in the last collection.",
                      1 if st.success else 0, lbl)
            out.gauge("collector_duration_seconds", "How long the collector took in the last collection.",
                      st.duration, lbl)
            out.gauge("collector_last_success_timestamp_seconds",
                      "When the collector last succeeded (Unix time, 0 if never).", st.last_success, lbl)
            for reason, n in sorted(st.errors.items()):
                out.counter("collector_errors", "Collector failures by reason.", n,
                            {"collector": name, "reason": reason})
        out.counter("collections", "Collections run (concurrent scrapes share one).", self.collections)
        out.gauge("build_info", "Lookout build information.", 1,
                  {"version": self.version, "python_version": platform.python_version()})

    # --- rendering ---------------------------------------------------------------

    def render(self, snap: Snapshot, accept: str | None) -> tuple[bytes, str]:
        encoder, content_type = choose_encoder(accept or "")
        openmetrics = content_type.startswith("application/openmetrics-text")
        key = content_type
        body = snap.rendered.get(key)
        if body is None:
            body = encoder(snap)
            if openmetrics and body.endswith(b"# EOF\n"):
                body = body[: -len(b"# EOF\n")]
            snap.rendered[key] = body
        # The cache age changes on every scrape, so it is appended after the cached body.
        age = max(time.monotonic() - snap.at, 0.0)
        name = f"{self.namespace}_scrape_cache_age_seconds"
        tail = (f"# HELP {name} Age of the collection this scrape was served from.\n"
                f"# TYPE {name} gauge\n{name} {age:.6f}\n")
        if openmetrics:
            tail += "# EOF\n"
        return body + tail.encode(), content_type
