"""What the exporter reads from TBURN, and what it turns it into.

Every route and field below is read from TBURN's source (trustburn79-droid/TburnChain),
not from runbook 004's wording, which names routes TBURN never registered:

- /api/system-health/metrics: server/core/monitoring/system-health-routes.ts. `errorRate`
  is a percent (the thresholds route says "errorRate: <=0.1%"), response times and
  event-loop lag are milliseconds.
- /api/memory/guardian/prometheus: server/services/memory-guardian.ts getPrometheusMetrics();
  its heap ratio is heapUsed / the guardian's maxHeapMB (2048), the ratio the guardian's
  0.70 / 0.85 / 0.92 levels apply to. Read from TBURN's own Prometheus text.
- /api/sharding/v6/metrics: server/routes/sharding-routes.ts; `memoryGovernor` is
  core/sharding/memory-governor.ts getMetrics() (states are lowercase; `lastGcAt` is epoch
  ms or null before the first GC), `requestShedder` is core/sharding/request-shedder.ts.
- /api/sharding/circuit-breakers and /api/sharding/status: sharding-routes.ts over
  core/sharding/enterprise-shard-orchestrator.ts (one breaker per shard).
- /api/pipeline/stats: server/routes/pipeline-routes.ts over
  core/pipeline/realtime-block-pipeline.ts getStats(). The pipeline is off unless TBURN runs
  with ENABLE_BLOCK_PIPELINE=true (server/routes.ts), and TBURN's own GET /api/pipeline/health
  calls it healthy when `!isRunning || (currentTPS > 0 && now - lastBlockTime < 5000)`.
  Lookout applies that rule to /stats (which answers 200) rather than calling /health, which
  answers 503 when unhealthy and so would add a 5xx to TBURN's error count on every scrape.

Which of Lookout's requests TBURN counts (trustburn79-droid/TburnChain a52569cc,
server/routes.ts): the request-tracking middleware that feeds `http.totalRequests` and
`http.errorCount` (systemHealthMonitor.recordHttpRequest on `finish`) is registered after
/health, the /api/memory/* routes and the /api/system-health router, and before
/api/pipeline and /api/sharding: requests to the latter are counted, 5xx answers as errors.

Which routes serve a simulation that the first request starts: /api/sharding/status and
/api/sharding/circuit-breakers call ensureOrchestrator(), which starts the shard
orchestrator (its per-shard TPS and latency are Math.random()) if nothing has; nothing else
in TBURN starts it. So they are off by default (opt-in), like the constant DB pool block.

JSON routes answer TBURN's envelope {success, data, timestamp}; paths start at the body.
"""
from __future__ import annotations

from lookout.records import record
from typing import Literal

from lookout.exporters.runtime.metrics import Counter, Descriptor, Gauge, StateSet

Kind = Literal["gauge", "counter", "bool", "timestamp", "count", "state", "breakers", "pipeline"]
Format = Literal["json", "prometheus"]

MIB = 1024 * 1024
MS = 0.001
PERCENT = 0.01

# memory-governor.ts MemoryState, in escalating order.
GOVERNOR_STATES = ("normal", "warning", "deferred", "hibernating", "critical")
# enterprise-shard-orchestrator.ts CircuitState (CLOSED | OPEN | HALF_OPEN), as label values.
BREAKER_STATES = ("closed", "open", "half_open")


@record(frozen=True)
class Field:
    key: str          # config key and the `field` label of missing-field reports
    path: str         # default: dotted JSON path, or the sample name in Prometheus text
    metric: str       # metric name without the namespace (and without _total)
    help: str
    kind: Kind = "gauge"
    scale: float = 1.0
    states: tuple[str, ...] = ()
    nullable: bool = False   # null means "none yet" (no GC so far): no sample, not an error


@record(frozen=True)
class Endpoint:
    name: str         # collector name
    path: str
    fields: tuple[Field, ...]
    format: Format = "json"
    enabled: bool = True   # default of `endpoints.<name>.enabled`
    # TBURN's request-tracking middleware counts requests to this route (module docstring):
    # Lookout's own requests to it are part of tburn_requests_total.
    counted: bool = False


HEALTH = Endpoint("health", "/health", ())

SYSTEM_HEALTH = "/api/system-health/metrics"
V6_METRICS = "/api/sharding/v6/metrics"

ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("system_health", SYSTEM_HEALTH, (
        # A lifetime ratio: 5xx / all requests since TBURN started (or last reset its
        # counters), as a percent; the alerts use the windowed rates of the two counters below.
        Field("error_rate", "data.http.errorRate", "error_ratio",
              "Share of HTTP requests answered 5xx since TBURN started (lifetime, not a rate), 0..1.",
              scale=PERCENT),
        Field("p99_latency", "data.http.responseTime.p99", "latency_p99_seconds",
              "99th percentile response time over TBURN's last 500 to 1000 requests.", scale=MS),
        Field("event_loop_lag", "data.process.eventLoopLag", "event_loop_lag_seconds",
              "Node event-loop lag, TBURN's average of its last 60 one-second samples.", scale=MS),
        Field("uptime", "data.process.uptime", "uptime_seconds", "Seconds since the TBURN process started."),
        Field("requests", "data.http.totalRequests", "requests",
              "HTTP requests TBURN's tracking middleware saw since start (Lookout's to counted routes included).",
              "counter"),
        Field("errors", "data.http.errorCount", "request_errors",
              "Of those, the ones answered 5xx since start.", "counter"),
    )),
    Endpoint("memory_guardian", "/api/memory/guardian/prometheus", (
        Field("heap_ratio", "tburn_memory_guardian_heap_ratio", "heap_ratio",
              "Heap used / the memory guardian's heap ceiling, 0..1."),
        Field("heap_used", "tburn_memory_guardian_heap_used_mb", "heap_used_bytes", "V8 heap in use.",
              scale=MIB),
    ), format="prometheus"),
    Endpoint("memory_governor", V6_METRICS, (
        Field("state", "data.memoryGovernor.currentState", "memory_governor_state",
              "Memory governor state.", "state", states=GOVERNOR_STATES),
        Field("hibernated_shards", "data.memoryGovernor.hibernatedShardCount", "hibernated_shards",
              "Shards hibernated by the memory governor.", "count"),
        Field("last_gc", "data.memoryGovernor.lastGcAt", "last_gc_timestamp_seconds",
              "When the memory governor last ran a GC (Unix time).", "timestamp", nullable=True),
    ), counted=True),
    Endpoint("request_shedder", V6_METRICS, (
        Field("degraded_mode", "data.requestShedder.isDegradedMode", "degraded_mode",
              "1 while the request shedder is in degraded mode.", "bool"),
        Field("shed_requests", "data.requestShedder.totalSheddedRequests", "requests_shed",
              "Requests shed since start.", "counter"),
    ), counted=True),
    # Off by default: reading it starts TBURN's simulated shard orchestrator (module docstring).
    Endpoint("circuit_breakers", "/api/sharding/circuit-breakers", (
        Field("breakers", "data.shards", "circuit_breaker_state", "Circuit breaker state, per shard.",
              "breakers", states=BREAKER_STATES),
    ), enabled=False, counted=True),
    # TBURN's pool block in /api/system-health/metrics is constant (never filled from a real
    # pool), so this collector is off unless a build that fills it is configured.
    Endpoint("db_pool", SYSTEM_HEALTH, (
        Field("available", "data.database.pool.idle", "db_pool_available_connections", "Idle pooled connections."),
        Field("waiting", "data.database.pool.waiting", "db_pool_waiting_requests",
              "Requests waiting for a connection."),
        Field("total", "data.database.pool.size", "db_pool_total_connections", "Open pooled connections."),
    ), enabled=False),
    Endpoint("pipeline", "/api/pipeline/stats", (
        Field("running", "data.isRunning", "pipeline_running",
              "1 while the block pipeline runs (off unless TBURN runs with ENABLE_BLOCK_PIPELINE=true).", "bool"),
        Field("tps", "data.currentTPS", "pipeline_transactions_per_second",
              "Transactions per second of the pipeline's recent blocks (TBURN's currentTPS).", "gauge"),
        Field("health", "", "pipeline_healthy",
              "1 when the pipeline is healthy by TBURN's own rule: not running, or running with"
              " currentTPS > 0 and a block in the last 5 s.", "pipeline"),
    ), counted=True),
    # Off by default: reading it starts TBURN's simulated shard orchestrator (module docstring).
    Endpoint("shards", "/api/sharding/status", (
        Field("count", "data.shardCount", "shards", "Shards the orchestrator runs.", "count"),
    ), enabled=False, counted=True),
)

ALL = (HEALTH, *ENDPOINTS)
BY_NAME = {e.name: e for e in ALL}


def descriptor(f: Field) -> Descriptor:
    """The typed metric a field is emitted as (declared once per field, from this table)."""
    if f.kind == "counter":
        return Counter(f.metric, f.help)
    if f.kind == "state":
        return StateSet(f.metric, f.help, states=f.states)
    if f.kind == "breakers":
        return StateSet(f.metric, f.help, labels=("shard",), states=f.states)
    # "pipeline" (and every other kind) is one unlabelled gauge.
    return Gauge(f.metric, f.help)


HEALTH_PROBE = Gauge("health_probe_seconds", "How long /health took to answer.")
# TBURN's own rule (pipeline-routes.ts GET /health): a running pipeline with no block for this long is unhealthy.
PIPELINE_BLOCK_GAP_MS = 5000
PIPELINE_BLOCK_AGE = Gauge("pipeline_last_block_age_seconds",
                           "Seconds since the running pipeline's last block, by TBURN's clock (absent when stopped).")
# Lookout's own load on TBURN: every request it sent, per route and answer class.
LOOKOUT_REQUESTS = Counter("lookout_requests", "Requests Lookout sent to TBURN, per route and status class"
                           " (code: 2xx, 3xx, 4xx, 5xx, or none when no answer came); counted=\"true\" where"
                           " TBURN's own request counters include them.", labels=("route", "code", "counted"))
DESCRIPTORS = {(e.name, f.key): descriptor(f) for e in ENDPOINTS for f in e.fields}
