"""The sync server's own endpoints: /server/health and /server/sync/stats.

Shapes from shayonpal/rss-news-reader: server/lib/sync-health-check.js checkHealth() is the
health body (the server answers it with 503 when `status` is "unhealthy": that is an answer,
not an outage), and GET /server/sync/stats answers the row of the sync_queue_stats view.
A transport, status or JSON failure fails only the collector that read it.
"""
from __future__ import annotations

import threading
from typing import Any

from lookout.exporters.runtime import CollectError, Collector, Deadline, MetricSet
from lookout.exporters.runtime.fields import iso_seconds
from lookout.exporters.runtime.httpclient import HttpClient
from lookout.exporters.runtime.httpjson import client_for, get_capped, json_object
from lookout.exporters.runtime.metrics import Gauge, StateSet

from .config import HealthConfig

# sync-health-check.js calculateServiceStatus(): the statuses a check can end in.
STATUSES = ("healthy", "degraded", "unhealthy", "unknown")
# checkHealth(): `dependencies` keys -> the `dependency` label.
DEPENDENCIES = {"database": "database", "oauth": "oauth", "syncQueue": "sync_queue"}
# sync_queue_stats columns -> metric (total_pending counts every queued row, failed ones too).
QUEUE = {
    "total_pending": ("sync_queue_pending", "Rows in the sync queue (sync_queue_stats.total_pending)."),
    "retry_pending": ("sync_queue_retry_pending", "Queued rows waiting for a retry (1-2 failed attempts)."),
    "failed": ("sync_queue_failed", "Queued rows that used up their retries (3 failed attempts)."),
}


class JsonGet:
    """GET one URL, at most max_body_bytes, within the deadline; the answer must be a JSON object."""

    def __init__(self, url: str, cfg: HealthConfig, ok_statuses: tuple[int, ...] = (200,)):
        self.url, self.cfg, self.ok = url, cfg, ok_statuses
        self._session: HttpClient | None = None
        self._session_lock = threading.Lock()  # overlapping runs share the one client
        self._headers = {}
        if cfg.bearer_token:
            self._headers["Authorization"] = f"Bearer {cfg.bearer_token.reveal()}"

    def read(self, deadline: Deadline) -> tuple[int, dict]:
        timeout = min(self.cfg.timeout_seconds, deadline.remaining())
        with self._session_lock:
            if self._session is None:
                # One small pooled connection: the endpoint is local and scraped every 15 s.
                self._session = client_for(self.url, self._headers, limit=1)
            session = self._session
        status, body = get_capped(session, self.url, timeout, self.cfg.max_body_bytes)
        if status not in self.ok:
            raise CollectError("http", f"{self.url} answered HTTP {status}")
        return status, json_object(body, f"{self.url}: HTTP {status}")

    def close(self) -> None:
        with self._session_lock:
            session, self._session = self._session, None
        if session is not None:
            session.close()


class HealthReader(JsonGet):
    """/server/health: 200 healthy or degraded, 503 unhealthy; both carry the health JSON."""

    def __init__(self, cfg: HealthConfig):
        super().__init__(cfg.url, cfg, ok_statuses=(200, 503))

    def read(self, deadline: Deadline) -> dict:
        status, doc = super().read(deadline)
        if status == 503 and "status" not in doc:
            raise CollectError("http", f"{self.url} answered HTTP 503 without its health JSON")
        return doc


HEALTH_STATUS = StateSet("sync_health_status", "The sync server's overall health (checkHealth().status).",
                         states=STATUSES)
DEPENDENCY_STATUS = StateSet("sync_dependency_status", "Each dependency's health as the sync server checks it.",
                             labels=("dependency",), states=STATUSES)
UPTIME = Gauge("sync_uptime_seconds", "Seconds since the sync server started, as it reports.")
RECENT_ERRORS = Gauge("sync_recent_errors", "Errors the sync server logged in the last hour (checkHealth().errorCount).")
LAST_ACTIVITY = Gauge("sync_last_activity_timestamp_seconds",
                      "When the sync server last processed its queue (lastActivity), Unix time.")
QUEUE_METRICS = {column: Gauge(metric, text) for column, (metric, text) in QUEUE.items()}


def _missing(out: MetricSet, doc: dict, key: str) -> None:
    """A field absent or unreadable is reported; JSON null is "no value yet", absence without error."""
    if not (key in doc and doc[key] is None):
        out.field_missing(key)


class HealthCollector(Collector):
    """The health JSON. Missing fields go to lookout_collector_fields_missing_total{field}, where
    `field` is the JSON key (status, uptime, lastActivity, errorCount, database, oauth, syncQueue)."""

    name = "health"
    metrics = (HEALTH_STATUS, DEPENDENCY_STATUS, UPTIME, RECENT_ERRORS, LAST_ACTIVITY)

    def __init__(self, reader: HealthReader):
        self.reader = reader

    def collect(self, out: MetricSet, deadline: Deadline) -> None:
        # No answer (or no health JSON) fails this collector: that failure, in
        # lookout_collector_success{collector="health"}, is what SyncServerHealthDown reads.
        doc = self.reader.read(deadline)
        deps = doc.get("dependencies") if isinstance(doc.get("dependencies"), dict) else {}
        if doc.get("status") in STATUSES:
            out.add(HEALTH_STATUS, doc["status"])
        else:
            _missing(out, doc, "status")
        for key, label in DEPENDENCIES.items():
            if deps.get(key) in STATUSES:
                out.add(DEPENDENCY_STATUS, deps[key], dependency=label)
            else:
                _missing(out, deps, key)
        for key, desc in (("uptime", UPTIME), ("errorCount", RECENT_ERRORS)):
            raw = doc.get(key)
            if isinstance(raw, bool) or not isinstance(raw, (int, float)) or raw < 0:
                _missing(out, doc, key)
            else:
                out.add(desc, float(raw))
        when = _timestamp(doc.get("lastActivity"))
        if when is None:
            _missing(out, doc, "lastActivity")
        else:
            out.add(LAST_ACTIVITY, when)

    def close(self) -> None:
        self.reader.close()


class StatsCollector(Collector):
    """/server/sync/stats: the sync queue's depth, its retries and its failures."""

    name = "sync_stats"
    metrics = tuple(QUEUE_METRICS.values())

    def __init__(self, cfg: HealthConfig):
        self.get = JsonGet(cfg.resolved_stats_url(), cfg)

    def collect(self, out: MetricSet, deadline: Deadline) -> None:
        _, doc = self.get.read(deadline)
        found = 0
        for column in QUEUE:
            raw = doc.get(column)
            # PostgREST sends a bigint count as a number; a string of digits is accepted too.
            if isinstance(raw, str) and raw.isdigit():
                raw = int(raw)
            if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
                continue
            out.add(QUEUE_METRICS[column], raw)
            found += 1
        if not found:
            raise CollectError("fields", f"{self.get.url}: no sync_queue_stats column "
                                         f"({', '.join(QUEUE)}) in the answer")

    def close(self) -> None:
        self.get.close()


def _timestamp(raw: Any) -> float | None:
    """Unix seconds from an ISO 8601 string (Node's toISOString(), UTC)."""
    if not isinstance(raw, str):
        return None
    try:
        return iso_seconds(raw)
    except ValueError:
        return None