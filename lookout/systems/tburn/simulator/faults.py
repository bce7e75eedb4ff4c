"""TBURN's faults, one per situation in runbook 004 (docs/simulators.md has the effects)."""
from __future__ import annotations

from lookout.simulators.common import FaultSpec, Param

# TBURN's monitoring routes (trustburn79-droid/TburnChain): name -> path. The names are the
# model's views; `*_text` routes answer TBURN's own Prometheus text.
ENDPOINTS = {
    "health": "/health",                                    # server/index.ts health probe
    "system_health": "/api/system-health/metrics",          # core/monitoring/system-health-routes.ts
    "system_health_text": "/api/system-health/prometheus",  # same file
    "memory_guardian_text": "/api/memory/guardian/prometheus",  # services/memory-guardian.ts
    "v6_metrics": "/api/sharding/v6/metrics",               # routes/sharding-routes.ts
    "v6_text": "/api/sharding/v6/prometheus",               # same file
    "circuit_breakers": "/api/sharding/circuit-breakers",   # same file
    "sharding_status": "/api/sharding/status",              # same file
    "pipeline": "/api/pipeline/stats",                      # routes/pipeline-routes.ts
}
# Routes that answer without a session (server/routes.ts: the rest answer 401).
PUBLIC = frozenset({"health"})
# Routes registered after server/routes.ts's request-tracking middleware (TburnChain
# a52569cc: app.use(... recordHttpRequest ...) comes after /health, /api/memory/* and
# /api/system-health, before /api/pipeline and /api/sharding): TBURN counts every request to
# them, a monitor's included, in http.totalRequests, and each 5xx in http.errorCount.
COUNTED = frozenset({"v6_metrics", "v6_text", "circuit_breakers", "sharding_status", "pipeline"})

# Heap ratio each level holds (±0.01), inside both the guardian's and the governor's bands.
HEAP_LEVELS = {
    "guardian-warning": 0.72,  # guardian warning (70%), governor still Normal
    "warning": 0.80,           # governor Warning (75-85%)
    "deferred": 0.875,         # governor Deferred (85-90%), guardian critical (85%)
    "hibernating": 0.935,      # governor Hibernating (90-95%), guardian emergency (92%)
    "critical": 0.97,          # governor Critical (> 95%): requests rejected
}
GARBAGE = ("html", "not-json", "truncated", "cut", "empty", "wrong-types", "nulls", "huge", "deep")

_which = Param(list, list(ENDPOINTS), "endpoints affected, comma separated (default all)",
               choices=tuple(ENDPOINTS))

FAULTS = (
    FaultSpec("heap-pressure", "Heap held at a memory guardian/governor level.", {
        "level": Param(str, "critical", "level to hold", choices=tuple(HEAP_LEVELS))}),
    FaultSpec("memory-leak", "The heap floor left after each GC keeps rising.", {
        "rate_per_hour": Param(float, 0.3, "rise of the post-GC heap ratio per hour", minimum=0.0)}),
    FaultSpec("event-loop-lag", "Event-loop lag; past the shedder's 250 ms it sheds too.", {
        "lag_ms": Param(float, 400.0, "lag to hold", minimum=0.0)}),
    FaultSpec("request-shedding", "The request shedder in degraded mode, shedding.", {
        "rate": Param(float, 50.0, "requests shed per second", minimum=0.0)}),
    FaultSpec("breaker-open", "A shard's circuit breaker stuck open (or half-open).", {
        "shard": Param(int, 3, "which shard's breaker", minimum=0, maximum=63),
        "state": Param(str, "OPEN", "state to hold", choices=("OPEN", "HALF_OPEN"))}),
    FaultSpec("db-pool-exhaustion", "Requests wait on the database: latency and 503s follow (TBURN's "
              "pool block stays constant, as in the real application).", {
        "waiting": Param(int, 25, "requests waiting for a connection", minimum=1)}),
    FaultSpec("pipeline-stopped", "The block pipeline stopped (POST /api/pipeline/stop), as TBURN runs by "
              "default (ENABLE_BLOCK_PIPELINE unset): healthy by TBURN's own rule.", {}),
    FaultSpec("pipeline-stalled", "The block pipeline runs but produces no block (currentTPS 0, lastBlockTime "
              "frozen): unhealthy by TBURN's rule after 5 s. Restarting it (stop, start) ends it.", {}),
    FaultSpec("route-errors", "Routes answer TBURN's error envelope: 503 {success: false, error} (with "
              "error 'Metrics not yet available' on system_health: its monitor not ready yet).", {
        "error": Param(str, "Internal server error", "TBURN's error text"),
        "endpoints": Param(list, ["pipeline"], "endpoints affected, comma separated", choices=tuple(ENDPOINTS))}),
    FaultSpec("idle", "No traffic but the monitor's own requests (TBURN counts those on its counted routes).", {}),
    FaultSpec("error-rate-spike", "A share of requests fail.", {
        "ratio": Param(float, 0.2, "error ratio, 0..1", minimum=0.0, maximum=1.0)}),
    FaultSpec("latency-spike", "P99 latency up.", {
        "p99_ms": Param(float, 1500.0, "P99 latency to hold", minimum=0.0)}),
    FaultSpec("shard-scale-out", "Shard count outside the 24-64 range.", {
        "count": Param(int, 80, "shard count to report", minimum=0)}),
    FaultSpec("health-down", "/health answers an error status; the rest still answer.", {
        "status": Param(int, 503, "HTTP status of /health", minimum=400, maximum=599)}),
    FaultSpec("slow-responses", "Endpoints answer late.", {
        "delay": Param(float, 5.0, "seconds before answering", minimum=0.0, maximum=600.0),
        "endpoints": _which}),
    FaultSpec("garbage-bodies", "Endpoints answer 200 with a broken body.", {
        "kind": Param(str, "html", "what kind of garbage", choices=GARBAGE),
        "endpoints": _which}),
)
