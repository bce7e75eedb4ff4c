"""Nectar's own dashboard API (honeycomb-tech/nectar web/handlers.go, default :8080), opt-in.

- GET /api/status: `currentSlot`, `tipSlot` (the node's tip, better than the wall-clock
  estimate when present; 0 until Nectar knows it), `blocksPerSec`, `syncPercentage`.
- GET /api/errors: `totalErrors` and `errorsByType` (errors/unified_error_system.go's types).
- GET /api/memory: Go's runtime.MemStats, sizes in MB (integer division), `numGC`, `goroutines`.
Each route is read on every scrape; one failing route fails the collector (the others'
samples are kept: they are committed first).
"""
from __future__ import annotations

import re
import threading
from typing import Any

from lookout.exporters.runtime import CollectError, Collector, Deadline, MetricSet
from lookout.exporters.runtime.fields import plain_number
from lookout.exporters.runtime.httpclient import HttpClient
from lookout.exporters.runtime.httpjson import client_for, get_capped, json_object
from lookout.exporters.runtime.metrics import Counter, Gauge

from .config import AppConfig

MIB = 1024 * 1024
# unified_error_system.go ErrorType values; anything else is counted as "other".
ERROR_TYPES = ("Database", "Network", "Processing", "Validation", "Constraint", "Slow Query", "Warning",
               "BlockFetch", "Transaction", "Connection", "System")

CURRENT_SLOT = Gauge("app_current_slot", "Slot Nectar reports it has processed (/api/status currentSlot).")
TIP_SLOT = Gauge("app_tip_slot", "The chain tip slot Nectar's node reports (/api/status tipSlot); absent while 0.")
BLOCKS_PER_SECOND = Gauge("app_blocks_per_second", "Nectar's own processing speed (/api/status blocksPerSec).")
SYNC_RATIO = Gauge("app_sync_ratio", "currentSlot / tipSlot as Nectar reports it, 0..1 (syncPercentage / 100).")
ERRORS = Counter("app_errors", "Errors Nectar's dashboard counted since it started (/api/errors totalErrors).")
ERRORS_BY_TYPE = Counter("app_errors_by_type", "Errors by unified error type (/api/errors errorsByType).",
                         labels=("type",))
HEAP_ALLOC = Gauge("app_heap_alloc_bytes", "Go heap allocated (/api/memory heapAlloc, MiB resolution).")
HEAP_SYS = Gauge("app_heap_sys_bytes", "Go heap obtained from the OS (/api/memory heapSys, MiB resolution).")
GOROUTINES = Gauge("app_goroutines", "Goroutines (/api/memory goroutines).")
GC_CYCLES = Counter("app_gc_cycles", "Completed Go GC cycles (/api/memory numGC).")


def type_label(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") if name in ERROR_TYPES else "other"


class AppCollector(Collector):
    name = "app"
    metrics = (CURRENT_SLOT, TIP_SLOT, BLOCKS_PER_SECOND, SYNC_RATIO, ERRORS, ERRORS_BY_TYPE,
               HEAP_ALLOC, HEAP_SYS, GOROUTINES, GC_CYCLES)

    def __init__(self, cfg: AppConfig):
        self.cfg = cfg
        self.base = cfg.url.rstrip("/")
        self._session: HttpClient | None = None
        self._lock = threading.Lock()  # runs may overlap: one client, made by the first

    def _get(self, path: str, deadline: Deadline) -> dict[str, Any]:
        with self._lock:
            if self._session is None:
                self._session = client_for(self.base, limit=2)
        url = self.base + path
        status, body = get_capped(self._session, url, min(self.cfg.timeout_seconds, deadline.remaining()),
                                        self.cfg.max_body_bytes, what=f"GET {path}")
        if status != 200:
            raise CollectError("query", f"GET {path}: HTTP {status}")
        return json_object(body, f"GET {path}")

    def collect(self, out: MetricSet, deadline: Deadline) -> None:
        status = self._get("/api/status", deadline)
        self._number(out, CURRENT_SLOT, status, "currentSlot")
        tip = _number(status.get("tipSlot"))
        if tip:  # 0: Nectar does not know the tip yet
            out.add(TIP_SLOT, tip)
        self._number(out, BLOCKS_PER_SECOND, status, "blocksPerSec")
        self._number(out, SYNC_RATIO, status, "syncPercentage", scale=0.01)
        out.commit()
        errors = self._get("/api/errors", deadline)
        self._number(out, ERRORS, errors, "totalErrors")
        by_type = errors.get("errorsByType")
        if isinstance(by_type, dict):
            totals = {type_label(t): 0.0 for t in ERROR_TYPES}
            for name, n in by_type.items():
                value = _number(n)
                if value is not None:
                    label = type_label(name)
                    totals[label] = totals.get(label, 0.0) + value
            for label, n in sorted(totals.items()):
                out.add(ERRORS_BY_TYPE, n, type=label)
        else:
            out.field_missing("errorsByType")
        out.commit()
        memory = self._get("/api/memory", deadline)
        self._number(out, HEAP_ALLOC, memory, "heapAlloc", scale=MIB)
        self._number(out, HEAP_SYS, memory, "heapSys", scale=MIB)
        self._number(out, GOROUTINES, memory, "goroutines")
        self._number(out, GC_CYCLES, memory, "numGC")

    @staticmethod
    def _number(out: MetricSet, desc, doc: dict, key: str, scale: float = 1.0) -> None:
        value = _number(doc.get(key))
        if value is None:
            out.field_missing(key)
        else:
            out.add(desc, value * scale)

    def close(self) -> None:
        if self._session is not None:
            self._session.close()


def _number(raw: Any) -> float | None:
    """A non-negative JSON number (Go's encoding/json sends uint64 and float64 as numbers)."""
    value = plain_number(raw)
    return value if value is not None and value >= 0 else None
