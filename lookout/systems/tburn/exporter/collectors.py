"""One collector per TBURN source, so one failing route fails only its own collector."""
from __future__ import annotations

from typing import Any

from lookout.exporters.runtime import CollectError, Collector, Deadline, MetricSet
from lookout.exporters.runtime import fields as values
from lookout.exporters.runtime.logs import get_logger

from .client import TburnClient, check_status
from .config import EndpointConfig, TburnConfig
from .endpoints import (DESCRIPTORS, HEALTH, HEALTH_PROBE, LOOKOUT_REQUESTS, PIPELINE_BLOCK_AGE,
                        PIPELINE_BLOCK_GAP_MS, Endpoint, Field)

log = get_logger("lookout.tburn")

# Beyond the runtime's: TBURN answered its error envelope, or its monitor is not ready yet.
REASONS = ("http", "payload", "too_large", "fields", "not_ready")


class HealthCollector(Collector):
    """`/health` answering 2xx is what tburn_up means; nothing in its body is trusted.

    It also exports Lookout's own load on TBURN (tburn_lookout_requests_total), as counted
    up to this moment: a request of this collection that has not finished yet shows in the
    next one.
    """

    name = HEALTH.name
    critical = True
    metrics = (HEALTH_PROBE, LOOKOUT_REQUESTS)
    reasons = REASONS

    def __init__(self, client: TburnClient, cfg: EndpointConfig, default_timeout: float):
        self.client = client
        self.path = cfg.path or HEALTH.path
        self.timeout = cfg.timeout_seconds or default_timeout

    def collect(self, out: MetricSet, deadline: Deadline) -> None:
        try:
            reply = self.client.get(self.path, self.timeout, deadline, keep_body=False)
        finally:
            self._add_load(out)
            out.commit()  # the load counter survives a failed /health
        check_status(self.path, reply.status)
        out.add(HEALTH_PROBE, reply.seconds)

    def _add_load(self, out: MetricSet) -> None:
        for (path, code), n in self.client.counts():
            out.add(LOOKOUT_REQUESTS, n, route=path, code=code,
                    counted="true" if path in self.client.counted_paths else "false")

    def close(self) -> None:
        self.client.close()


class EndpointCollector(Collector):
    """Reads a route's fields; a missing or unreadable field is reported, never fatal.

    A field absent from an answer (or of a type it cannot be read as: a renamed or retyped
    field) is reported through the runtime's `field_missing`, counted in
    `lookout_collector_fields_missing_total{exporter="tburn",collector,field}`, when the rest
    of the answer was read; when nothing was readable the collector fails (reason `fields`).
    JSON null is "no value yet" (`lastGcAt` before the governor's first GC, `errorRate`
    before the first request): no sample and never a missing field; an answer whose fields
    are all null or unreadable still fails the collector (reason `fields`).
    """

    critical = False
    # Every route's descriptors: one class serves them all (docs/metrics.md reads this).
    metrics = (*{d.name: d for d in DESCRIPTORS.values()}.values(), PIPELINE_BLOCK_AGE)
    reasons = REASONS

    def __init__(self, endpoint: Endpoint, client: TburnClient, cfg: EndpointConfig, top: TburnConfig):
        self.name = endpoint.name
        self.format = endpoint.format
        self.client = client
        self.path = cfg.path or endpoint.path
        self.timeout = cfg.timeout_seconds or top.timeout_seconds
        self.max_breakers = top.max_breakers
        self.fields = [(f, cfg.fields.get(f.key, f.path), cfg.scales.get(f.key, f.scale))
                       for f in endpoint.fields]
        self._last_problem: dict[str, str] = {}

    def collect(self, out: MetricSet, deadline: Deadline) -> None:
        if self.format == "prometheus":
            text = self.client.get_text(self.path, self.timeout, deadline)
            doc, find = values.prometheus_samples(text, self.path), values.sample
        else:
            doc, find = self.client.get_json(self.path, self.timeout, deadline), values.lookup
        produced, problems, nulls = 0, {}, 0
        for f, path, scale in self.fields:
            try:
                produced += self._emit(out, f, find(doc, path), scale, problems)
            except values.FieldProblem as p:
                if str(p) == "null":
                    nulls += not f.nullable
                    continue
                problems[f.key] = str(p)
        self._log_changes(problems)
        if produced and problems:
            # An answer that otherwise succeeded lacks these: lookout_collector_fields_missing_total.
            for key in sorted(problems):
                out.field_missing(key)
        if produced == 0 and (problems or nulls):
            problems = problems or {"all fields": "null"}
            detail = ", ".join(f"{k}: {v}" for k, v in sorted(problems.items()))
            raise CollectError("fields", f"GET {self.path}: no expected field readable ({detail})")

    def _emit(self, out: MetricSet, f: Field, raw: Any, scale: float, problems: dict[str, str]) -> int:
        """Write the field's samples; returns how many were written."""
        desc = DESCRIPTORS[(self.name, f.key)]
        if f.kind == "gauge":
            out.add(desc, values.number(raw) * scale)
        elif f.kind == "counter":
            n = values.number(raw) * scale
            if n < 0:
                raise values.FieldProblem("negative counter")
            out.add(desc, n)
        elif f.kind == "bool":
            out.add(desc, values.boolean(raw))
        elif f.kind == "timestamp":
            out.add(desc, values.timestamp(raw))
        elif f.kind == "count":
            out.add(desc, values.count(raw))
        elif f.kind == "state":
            out.add(desc, values.state(raw, f.states))
        elif f.kind == "breakers":
            breakers, problem = read_breakers(raw, f.states, self.max_breakers)
            for shard, current in sorted(breakers.items()):
                out.add(desc, current, shard=str(shard))
            if problem:  # the readable breakers are written; the others still count as an error
                problems[f.key] = problem
            return max(len(breakers), 1)  # no breakers at all is a valid answer
        elif f.kind == "pipeline":
            healthy, age = pipeline_health(raw)
            out.add(desc, healthy)
            if age is not None:
                out.add(PIPELINE_BLOCK_AGE, age)
        else:  # pragma: no cover - Field.kind is a closed set
            raise AssertionError(f.kind)
        return 1

    def _log_changes(self, problems: dict[str, str]) -> None:
        """Warn when a field turns bad or its problem changes, not on every scrape."""
        for key, problem in problems.items():
            if self._last_problem.get(key) != problem:
                log.warning("field unreadable", extra={"fields": {
                    "endpoint": self.name, "field": key, "problem": problem}})
        self._last_problem = dict(problems)

    def close(self) -> None:
        self.client.close()


def pipeline_health(doc: Any) -> tuple[float, float | None]:
    """(healthy 1/0, seconds since the last block or None) from GET /api/pipeline/stats.

    TBURN's own rule (server/routes/pipeline-routes.ts GET /health): healthy when
    `!isRunning || (currentTPS > 0 && now - lastBlockTime < 5000)`, with `now` the answer's
    `timestamp` (TBURN's Date.now(), so both ends are TBURN's clock). A stopped pipeline is
    healthy: TBURN runs it only with ENABLE_BLOCK_PIPELINE=true.
    """
    data = values.lookup(doc, "data")
    if not isinstance(data, dict):
        raise values.FieldProblem("no data object")
    running = values.boolean(values.lookup(doc, "data.isRunning"))
    if not running:
        return 1.0, None
    now_ms = values.number(values.lookup(doc, "timestamp"))
    last_ms = values.number(values.lookup(doc, "data.lastBlockTime"))
    tps = values.number(values.lookup(doc, "data.currentTPS"))
    gap_ms = now_ms - last_ms
    healthy = tps > 0 and gap_ms < PIPELINE_BLOCK_GAP_MS
    return (1.0 if healthy else 0.0), max(gap_ms, 0.0) / 1000.0


def read_breakers(raw: Any, states: tuple[str, ...], cap: int) -> tuple[dict[int, str], str]:
    """{shardId: state} from sharding-routes.ts's `data.shards`: [{"shardId": 0, "state": "CLOSED"}, ...].

    Returns the readable breakers (at most `cap`, lowest shard ids first; the rest are
    logged) and a problem ("" if none) for the unreadable ones.
    """
    if raw is None:
        raise values.FieldProblem("null")
    if not isinstance(raw, list):
        raise values.FieldProblem(f"not a list of shard breakers ({type(raw).__name__})")
    found: dict[int, str] = {}
    problem = ""
    for entry in raw:
        shard = entry.get("shardId") if isinstance(entry, dict) else None
        if isinstance(shard, bool) or not isinstance(shard, int) or shard < 0:
            problem = "breaker without a shardId"
            continue
        try:
            current = values.state(entry.get("state"), states)
        except values.FieldProblem as p:
            problem = f"breaker state: {p}"
            continue
        if shard in found:
            problem = "duplicate shardId"
            continue
        found[shard] = current
    if len(found) > cap:  # a label cap, not a field TBURN lost: logged, not reported as missing
        log.warning("more shards than max_breakers", extra={"fields": {"shards": len(found), "max_breakers": cap}})
        found = dict(sorted(found.items())[:cap])
    return found, problem
