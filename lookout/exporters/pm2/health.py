"""The sync server's own health endpoint: memory, restarts, queue and sync counters.

A field that is absent (or not a number) is skipped and counted in
pm2_sync_missing_fields_total; only a transport, status or JSON failure fails the
collector, and then only this one.
"""
from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp

from lookout.exporters.runtime import CollectError, Collector, Deadline, MetricSet

from .config import HealthConfig
from .units import quantity

# field key -> (metric short name, kind, help, unit of a bare number)
FIELDS = {
    "heap_used": ("sync_heap_used_bytes", "gauge", "V8 heap used, from the health endpoint.", ""),
    "heap_total": ("sync_heap_total_bytes", "gauge", "V8 heap size, from the health endpoint.", ""),
    "rss": ("sync_rss_bytes", "gauge", "Resident memory, from the health endpoint.", ""),
    "external": ("sync_external_bytes", "gauge", "Memory of C++ objects bound to JS, from the health endpoint.", ""),
    "restart_count": ("sync_restart_count", "gauge", "restartCount as the sync server reports it.", ""),
    "uptime": ("sync_uptime_seconds", "gauge", "Process uptime as the sync server reports it.", "s"),
    "queue_depth": ("sync_queue_depth", "gauge", "Items waiting in the sync queue.", ""),
    "api_errors": ("sync_api_errors", "counter", "API errors the sync server counted since it started.", ""),
    "sync_successes": ("sync_successes", "counter", "Sync runs that succeeded since the server started.", ""),
    "sync_failures": ("sync_failures", "counter", "Sync runs that failed since the server started.", ""),
    "last_sync_duration": ("sync_last_duration_seconds", "gauge", "How long the last sync took.", None),
}


class HealthReader:
    def __init__(self, cfg: HealthConfig):
        self.cfg = cfg
        self._session: aiohttp.ClientSession | None = None
        self._headers = {"Accept": "application/json"}
        if cfg.bearer_token:
            self._headers["Authorization"] = f"Bearer {cfg.bearer_token.reveal()}"

    async def read(self, deadline: Deadline) -> dict:
        timeout = min(self.cfg.timeout_seconds, deadline.remaining())
        if self._session is None:
            # One small pooled connection: the endpoint is local and scraped every 15 s.
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=1, force_close=False), headers=self._headers)
        try:
            async with asyncio.timeout(timeout):
                async with self._session.get(self.cfg.url, allow_redirects=False) as resp:
                    if not 200 <= resp.status < 300:
                        raise CollectError("http", f"health endpoint answered HTTP {resp.status}")
                    body = await _read_capped(resp, self.cfg.max_body_bytes + 1)
        except TimeoutError:
            raise CollectError("timeout", f"health endpoint did not answer within {timeout:.2f}s") from None
        except aiohttp.ClientError as exc:
            raise CollectError("connection", f"health endpoint unreachable: {exc}") from None
        if len(body) > self.cfg.max_body_bytes:
            raise CollectError("parse", f"health answer larger than {self.cfg.max_body_bytes} bytes")
        try:
            doc = json.loads(body)
        except ValueError:
            raise CollectError("parse", f"health answer is not JSON ({len(body)} bytes)") from None
        if not isinstance(doc, dict):
            raise CollectError("parse", f"health answer is a JSON {type(doc).__name__}, not an object")
        return doc

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class HealthCollector(Collector):
    name = "health"

    def __init__(self, read, reader: HealthReader):
        self.read = read  # SharedRead over reader.read
        self.reader = reader
        fields = reader.cfg.fields
        self.paths = {key: [alt.split(".") for alt in getattr(fields, key).split("|")]
                      for key in FIELDS if getattr(fields, key)}
        self.duration_unit = fields.last_sync_duration_unit
        self.missing = {key: 0 for key in self.paths}

    async def collect(self, out: MetricSet, deadline: Deadline) -> None:
        doc = await self.read.get(deadline)
        for key, alternatives in self.paths.items():
            metric, kind, doc_text, unit = FIELDS[key]
            value = quantity(_lookup(doc, alternatives), self.duration_unit if unit is None else unit)
            if value is None or (kind == "counter" and value < 0):
                self.missing[key] += 1
                continue
            (out.counter if kind == "counter" else out.gauge)(metric, doc_text, value)
        for key, n in self.missing.items():
            out.counter("sync_missing_fields", "Scrapes where a configured field was absent or not a number.",
                        n, {"field": key})

    async def close(self) -> None:
        await self.reader.close()


async def _read_capped(resp: aiohttp.ClientResponse, cap: int) -> bytes:
    """At most `cap` bytes of the body: a runaway endpoint cannot fill the host's memory."""
    chunks, total = [], 0
    while total < cap:
        chunk = await resp.content.read(cap - total)
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def _lookup(doc: dict, alternatives: list[list[str]]) -> Any:
    for parts in alternatives:
        node: Any = doc
        for part in parts:
            if not isinstance(node, dict) or part not in node:
                break
            node = node[part]
        else:
            return node
    return None
