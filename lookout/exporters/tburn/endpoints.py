"""What the exporter reads from each TBURN status endpoint, and what it turns it into.

The JSON names follow runbook 004 where it names them (heapUsedMB, heapRatio, lastGcAt,
hibernatedShards, eventLoopLagMs, isDegradedMode, totalSheddedRequests, isRunning);
the rest are documented defaults (docs/exporters/tburn.md), overridable per field.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["gauge", "counter", "bool", "timestamp", "count", "state", "breakers"]

MIB = 1024 * 1024
MS = 0.001

GOVERNOR_STATES = ("Normal", "Warning", "Deferred", "Hibernating", "Critical")
GUARDIAN_LEVELS = ("normal", "warning", "critical", "emergency")
BREAKER_STATES = ("closed", "open", "half-open")


@dataclass(frozen=True)
class Field:
    key: str          # config key and the `field` label of tburn_field_errors_total
    path: str         # default JSON path in the body
    metric: str       # metric name without the namespace (and without _total)
    help: str
    kind: Kind = "gauge"
    scale: float = 1.0
    states: tuple[str, ...] = ()
    optional: bool = False   # absent is fine (not every TBURN release has it); a wrong type still counts
    nullable: bool = False   # null means "none yet" (no GC so far), not an error


@dataclass(frozen=True)
class Endpoint:
    name: str         # collector name and the `endpoint` label
    path: str
    fields: tuple[Field, ...]


HEALTH = Endpoint("health", "/health", ())

ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("system_health", "/api/system-health", (
        Field("error_rate", "errorRate", "error_ratio", "Share of requests that failed, 0..1."),
        Field("p99_latency", "p99LatencyMs", "latency_p99_seconds", "99th percentile request latency.",
              scale=MS),
        Field("uptime", "uptimeSeconds", "uptime_seconds", "Seconds since TBURN started."),
        Field("requests", "totalRequests", "requests", "Requests served since start.", "counter"),
        Field("errors", "totalErrors", "request_errors", "Requests that failed since start.", "counter"),
    )),
    Endpoint("memory_guardian", "/api/memory-guardian/status", (
        Field("heap_used", "heapUsedMB", "heap_used_bytes", "V8 heap in use.", scale=MIB),
        Field("heap_total", "heapTotalMB", "heap_total_bytes", "V8 heap allocated.", scale=MIB),
        Field("heap_limit", "heapLimitMB", "heap_limit_bytes", "V8 heap size limit.", scale=MIB,
              optional=True),
        Field("heap_ratio", "heapRatio", "heap_ratio", "Heap used / heap limit, 0..1."),
        Field("last_gc", "lastGcAt", "last_gc_timestamp_seconds", "When the last GC ran (Unix time).",
              "timestamp", nullable=True),
        Field("level", "level", "memory_guardian_level", "Memory guardian threshold level.", "state",
              states=GUARDIAN_LEVELS, optional=True),
    )),
    Endpoint("memory_governor", "/api/memory-governor/status", (
        Field("state", "state", "memory_governor_state", "Memory governor state.", "state",
              states=GOVERNOR_STATES),
        Field("hibernated_shards", "hibernatedShards", "hibernated_shards",
              "Shards hibernated by the memory governor.", "count"),
    )),
    Endpoint("request_shedder", "/api/request-shedder/metrics", (
        Field("event_loop_lag", "eventLoopLagMs", "event_loop_lag_seconds", "Node event-loop lag.",
              scale=MS),
        Field("degraded_mode", "isDegradedMode", "degraded_mode",
              "1 while the request shedder is in degraded mode.", "bool"),
        Field("shed_requests", "totalSheddedRequests", "requests_shed", "Requests shed since start.",
              "counter"),
    )),
    Endpoint("circuit_breakers", "/api/health/circuit-breakers", (
        Field("breakers", "breakers", "circuit_breaker_state", "Circuit breaker state.", "breakers",
              states=BREAKER_STATES),
    )),
    Endpoint("db_pool", "/api/db/pool/status", (
        Field("available", "idleCount", "db_pool_available_connections", "Idle pooled connections."),
        Field("waiting", "waitingCount", "db_pool_waiting_requests", "Requests waiting for a connection."),
        Field("total", "totalCount", "db_pool_total_connections", "Open pooled connections."),
        Field("max", "maxConnections", "db_pool_max_connections", "The pool's size limit.", optional=True),
    )),
    Endpoint("pipeline", "/api/pipeline/stats", (
        Field("running", "isRunning", "pipeline_running", "1 while the block pipeline runs.", "bool"),
    )),
    Endpoint("shards", "/api/shards/count", (
        Field("count", "shardCount", "shards", "Active shards.", "count"),
    )),
)

ALL = (HEALTH, *ENDPOINTS)
BY_NAME = {e.name: e for e in ALL}
