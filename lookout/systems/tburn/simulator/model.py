"""TBURN's state and how it moves with time, load and the active faults.

Green by default: load swings gently around 40 req/s; the heap climbs with load and a GC
brings it back (a sawtooth between about 38% and 52%, its post-GC floor flat); lag and
P99 follow load; 32 shards. Faults push these values
across the runbook's thresholds, with the couplings the runbook describes (lag past
250 ms degrades the shedder, a Critical heap rejects requests, a database stall brings
latency and 503s). The model advances lazily, when an endpoint asks, in small steps.
"""
from __future__ import annotations

import math
import random
import time
from datetime import datetime, timezone
from typing import Callable

from lookout.simulators.common import FaultRegistry

from .faults import HEAP_LEVELS

# memory-guardian.ts maxHeapMB; the governor divides by V8's heap_size_limit, which a node
# started with --max-old-space-size=2048 puts at the same 2048 MB.
HEAP_LIMIT_MB = 2048.0
HEAP_FLOOR = 0.38           # ratio left after a GC
HEAP_GC_AT = 0.52           # ratio at which V8 collects
HEAP_GROWTH = 0.002         # ratio per second at load 1.0
BASE_RPS = 40.0
BASE_ERROR_RATIO = 0.0005   # under the 0.1% SLA
SHED_LAG_MS = 250.0         # the shedder's event-loop-lag threshold
BACKPRESSURE_RPS = 150.0
BASE_SHARDS = 32
PIPELINE_TPS = 57000.0      # the SLA's sustained 55,000-60,000
STEP = 0.25                 # seconds of model time per step
MAX_STEPS = 240             # after a long idle, catch up at most this many steps


class TburnModel:
    def __init__(self, faults: FaultRegistry, seed: int | None = None, time_scale: float = 1.0,
                 degraded_seconds: float = 30.0, clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], float] = time.time):
        self.faults = faults
        self.seed = seed
        self.time_scale = time_scale
        self.degraded_seconds = degraded_seconds
        self.clock, self.wall = clock, wall
        self.reset()

    def reset(self) -> None:
        self.rng = random.Random(self.seed)
        self.started_real = self.clock()
        self.started_wall = self.wall()
        self.t = 0.0                  # model seconds since start
        self.load = 1.0
        self.requests = self.errors = self.shed = 0.0
        self.blocks = 0.0
        self.last_block_wall = self.wall()
        self.heap_floor = HEAP_FLOOR
        self.heap = HEAP_FLOOR + self.rng.uniform(0, HEAP_GC_AT - HEAP_FLOOR)
        self.last_gc_wall: float | None = None   # null until the first GC, like a fresh process
        self.last_gc_t = -1e9
        self.gc_count = 0
        self.degraded_until = -1.0
        self.error_ratio = BASE_ERROR_RATIO
        self.p99_ms = self.p50_ms = self.lag_ms = 0.0
        self.rps = BASE_RPS
        self._step(0.0)

    # --- time ------------------------------------------------------------------

    def now(self) -> float:
        return (self.clock() - self.started_real) * self.time_scale

    def wall_at(self, t: float) -> float:
        return self.started_wall + t / self.time_scale

    def advance(self) -> None:
        target = self.now()
        gap = target - self.t
        if gap <= 0:
            return
        steps = min(math.ceil(gap / STEP), MAX_STEPS)
        for _ in range(steps):
            self._step(gap / steps)

    def _step(self, dt: float) -> None:
        f = self.faults.get
        self.t += dt
        rng = self.rng
        self.load = max(0.5, 1.0 + 0.25 * math.sin(2 * math.pi * self.t / 300.0) + rng.gauss(0, 0.03))
        self.rps = 0.0 if f("idle") else BASE_RPS * self.load
        exhausted = f("db-pool-exhaustion")

        # Memory: the heap climbs with load; at HEAP_GC_AT V8 collects down to the floor.
        leak = f("memory-leak")
        if leak:
            self.heap_floor = min(self.heap_floor + leak["rate_per_hour"] * dt / 3600.0, 0.99)
        pressure = f("heap-pressure")
        if pressure:
            target = HEAP_LEVELS[pressure["level"]]
            self.heap = target + 0.008 * math.sin(self.t / 7.0) + rng.uniform(-0.002, 0.002)
            if self.t - self.last_gc_t >= 20.0:  # GC keeps running but frees nothing
                self._gc(reclaim=False)
        else:
            self.heap += HEAP_GROWTH * self.load * dt
            if self.heap >= max(HEAP_GC_AT, self.heap_floor + 0.14):
                self._gc(reclaim=True)

        # Event loop and latency follow load.
        lag = f("event-loop-lag")
        self.lag_ms = lag["lag_ms"] * rng.uniform(0.97, 1.03) if lag else \
            6.0 + 20.0 * (self.load - 1.0) + abs(rng.gauss(0, 2))
        self.p99_ms = 80.0 + 60.0 * (self.load - 1.0) + rng.gauss(0, 4)
        spike = f("latency-spike")
        if spike:
            self.p99_ms = spike["p99_ms"] * rng.uniform(0.97, 1.03)
        if exhausted:
            self.p99_ms = max(self.p99_ms, 1200.0 * rng.uniform(1.0, 1.1))
        self.p99_ms = max(self.p99_ms, 1.0)
        self.p50_ms = min(self.p99_ms, 12.0 + 4.0 * self.load)

        # The request shedder: lag past its threshold, a forced shed, or a Critical heap.
        shedding = f("request-shedding")
        critical = self.governor_state() == "critical"
        if shedding or critical or self.lag_ms > SHED_LAG_MS:
            self.degraded_until = self.t + self.degraded_seconds
        if self.degraded():
            rate = shedding["rate"] if shedding else 0.3 * self.rps
            self.shed += rate * dt

        # Requests and errors, cumulative (what SLO burn rates are computed from).
        spike = f("error-rate-spike")
        ratio = spike["ratio"] if spike else BASE_ERROR_RATIO * rng.uniform(0.5, 1.5)
        if exhausted:
            ratio = max(ratio, 0.08)  # 503s from DB-bound endpoints
        self.error_ratio = ratio
        self.requests += self.rps * dt
        self.errors += self.rps * dt * ratio

        if not f("pipeline-stopped") and not f("pipeline-stalled"):
            self.blocks += dt * 2.0
            self.last_block_wall = self.wall_at(self.t)

    def count_request(self, status: int) -> None:
        """A real request to a route TBURN's tracking middleware counts (faults.COUNTED)."""
        self.requests += 1
        if status >= 500:
            self.errors += 1

    def _gc(self, reclaim: bool) -> None:
        if reclaim:
            self.heap = self.heap_floor + self.rng.uniform(0.0, 0.01)
        self.last_gc_t = self.t
        self.last_gc_wall = self.wall_at(self.t)
        self.gc_count += 1

    def force_gc(self) -> None:
        """The runbook's force-cleanup: the leak is gone and the heap back to its floor."""
        self.heap_floor = HEAP_FLOOR
        self._gc(reclaim=True)

    def degraded(self) -> bool:
        return self.t < self.degraded_until

    def exit_degraded(self) -> None:
        """request-shedder.ts forceExitDegradedMode(): degraded mode ends now."""
        self.degraded_until = -1.0

    # --- derived states (the runbook's tables) ----------------------------------

    def heap_ratio(self) -> float:
        return min(max(self.heap, 0.0), 1.0)

    def governor_state(self) -> str:
        """memory-governor.ts MemoryState (lowercase), without its hysteresis."""
        r = self.heap_ratio()
        if r >= 0.95:
            return "critical"
        if r >= 0.90:
            return "hibernating"
        if r >= 0.85:
            return "deferred"
        return "warning" if r >= 0.75 else "normal"

    def shard_count(self) -> int:
        scale_out = self.faults.get("shard-scale-out")
        if scale_out:
            return scale_out["count"]
        return BASE_SHARDS + (4 if self.load > 1.2 else 0)

    def hibernated_shards(self) -> list[int]:
        n = {"hibernating": 4, "critical": 8}.get(self.governor_state(), 0)
        top = self.shard_count()
        return list(range(top - 1, max(top - 1 - n, -1), -1))  # the least used: the newest

    # --- what each route answers (the `data` of TBURN's envelope, or its text) ----

    def _iso(self, wall: float | None) -> str | None:
        if wall is None:
            return None
        return datetime.fromtimestamp(wall, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def _ms(self, wall: float | None) -> int | None:
        return None if wall is None else int(wall * 1000)

    def health(self) -> dict:
        return {"status": "ok", "timestamp": self._iso(self.wall())}

    def system_health(self) -> dict:
        """system-health-routes.ts GET /metrics: percents and milliseconds, as TBURN sends them."""
        heap_pct = round(self.heap_ratio() * 100, 1)
        status = "critical" if self.error_ratio >= 0.05 or self.p99_ms >= 1000 else \
            "warning" if self.p99_ms >= 500 or self.degraded() else "normal"
        return {
            "timestamp": self._ms(self.wall()),
            "cpu": {"usage": round(20 + 10 * self.load, 1), "loadAverage": {"1m": 0.8, "5m": 0.7, "15m": 0.6},
                    "status": "normal"},
            "memory": {"total": 16384, "used": 6144, "free": 10240, "usage": 37.5,
                       "heap": {"used": round(self.heap_ratio() * HEAP_LIMIT_MB), "total": HEAP_LIMIT_MB,
                                "usage": heap_pct},
                       "status": "normal"},
            "disk": {"total": 500, "used": 120, "free": 380, "usage": 24.0, "status": "normal"},
            "process": {"pid": 4242, "uptime": round(self.t, 3), "eventLoopLag": round(self.lag_ms, 2),
                        "activeHandles": 57, "nodeVersion": "v20.11.1", "status": "normal"},
            "http": {"totalRequests": int(self.requests), "successCount": int(self.requests - self.errors),
                     # enterprise-system-health.ts: http5xxCount / httpRequestCount * 100 since start
                     # (a lifetime ratio, rounded to 2 decimals), not the current error rate.
                     "errorCount": int(self.errors),
                     "errorRate": round(self.errors / self.requests * 100, 2) if self.requests >= 1 else 0,
                     "responseTime": {"avg": round(self.p50_ms, 1), "p95": round(self.p99_ms * 0.8, 1),
                                      "p99": round(self.p99_ms, 1)},
                     "requestsPerSecond": round(self.rps, 2), "status": status},
            # TBURN never fills its pool block from a real pool: constant, whatever the load.
            "database": {"pool": {"size": 0, "active": 0, "idle": 0, "waiting": 0, "usage": 0},
                         "avgQueryTime": 0, "slowQueries": 0, "status": "normal"},
            "session": {"skipRatio": 92.5, "memoryStoreCapacity": 3.1, "activeSessions": 12, "status": "normal"},
        }

    def system_health_text(self) -> str:
        d = self.system_health()
        return _text([
            ("tburn_cpu_usage_percent", "gauge", d["cpu"]["usage"]),
            ("tburn_memory_usage_percent", "gauge", d["memory"]["usage"]),
            ("tburn_heap_usage_percent", "gauge", d["memory"]["heap"]["usage"]),
            ("tburn_disk_usage_percent", "gauge", d["disk"]["usage"]),
            ("tburn_event_loop_lag_ms", "gauge", d["process"]["eventLoopLag"]),
            ("tburn_http_requests_total", "counter", d["http"]["totalRequests"]),
            ("tburn_http_errors_total", "counter", d["http"]["errorCount"]),
            ("tburn_http_error_rate_percent", "gauge", d["http"]["errorRate"]),
            ("tburn_http_response_time_p95_ms", "gauge", d["http"]["responseTime"]["p95"]),
            ("tburn_process_uptime_seconds", "counter", round(self.t)),
        ])

    def memory_guardian_text(self) -> str:
        """memory-guardian.ts getPrometheusMetrics(): its ratio is already 0..1 here."""
        ratio_pct = f"{self.heap_ratio() * 100:.1f}"   # the guardian rounds through toFixed(1)
        return _text([
            ("tburn_memory_guardian_heap_used_mb", "gauge", round(self.heap_ratio() * HEAP_LIMIT_MB)),
            ("tburn_memory_guardian_heap_ratio", "gauge", float(ratio_pct) / 100),
            ("tburn_memory_guardian_rss_mb", "gauge", round(self.heap_ratio() * HEAP_LIMIT_MB * 1.4)),
            ("tburn_memory_guardian_gc_triggered_total", "counter", self.gc_count),
            ("tburn_memory_guardian_uptime_seconds", "gauge", round(self.t)),
        ])

    def v6_metrics(self) -> dict:
        """sharding-routes.ts GET /v6/metrics: the boot pipeline, governor and shedder."""
        hibernated = self.hibernated_shards()
        return {
            "pipeline": {"isRunning": True, "activeShards": self.shard_count() - len(hibernated)},
            "memoryGovernor": {
                "currentState": self.governor_state(),
                "heapUsagePercent": self.heap_ratio() * 100,
                "heapUsedMB": round(self.heap_ratio() * HEAP_LIMIT_MB, 2),
                "heapTotalMB": HEAP_LIMIT_MB,
                "activeShardCount": self.shard_count() - len(hibernated),
                "hibernatedShardCount": len(hibernated),
                "gcRequestCount": self.gc_count,
                "lastGcAt": self._ms(self.last_gc_wall),
                "memoryTrend": "stable",
                "uptime": int(self.t * 1000),
            },
            "requestShedder": {
                "isScalingInProgress": False,
                "isDegradedMode": self.degraded(),
                "eventLoopLagMs": round(self.lag_ms, 2),
                "adaptiveThresholdMs": SHED_LAG_MS,
                "totalSheddedRequests": int(self.shed),
                "backpressureActive": self.rps > BACKPRESSURE_RPS,
                "requestsPerSecond": round(self.rps),
                "lastDegradedModeAt": self._ms(self.wall_at(self.degraded_until - self.degraded_seconds))
                if self.degraded() else None,
                "uptime": int(self.t * 1000),
            },
        }

    def v6_text(self) -> str:
        m = self.v6_metrics()["memoryGovernor"]
        states = ("normal", "warning", "deferred", "hibernating", "critical")
        return _text([
            ("tburn_memory_heap_usage_percent", "gauge", round(m["heapUsagePercent"], 2)),
            ("tburn_memory_state", "gauge", states.index(m["currentState"])),
            ("tburn_memory_hibernated_shard_count", "gauge", m["hibernatedShardCount"]),
        ])

    def circuit_breakers(self) -> dict:
        """sharding-routes.ts GET /circuit-breakers: one breaker per shard."""
        stuck = self.faults.get("breaker-open")
        shards = []
        for shard in range(self.shard_count()):
            state = stuck["state"] if stuck and stuck["shard"] == shard else "CLOSED"
            shards.append({"shardId": shard, "state": state})
        return {"total": len(shards), "closed": sum(s["state"] == "CLOSED" for s in shards),
                "open": sum(s["state"] == "OPEN" for s in shards),
                "halfOpen": sum(s["state"] == "HALF_OPEN" for s in shards), "shards": shards}

    def sharding_status(self) -> dict:
        n = self.shard_count()
        return {"shardCount": n, "activeShards": n, "degradedShards": 0,
                "totalTps": round(PIPELINE_TPS * self.load ** 0.2), "targetTps": 210000,
                "utilizationPercent": 62, "uptime": int(self.t * 1000),
                "latency": {"p50": 9.5, "p95": 16.2, "p99": 19.1}, "scalingEvents": 0, "crossShardMessages": 0}

    def pipeline(self) -> dict:
        """pipeline-routes.ts GET /stats: getRealtimeBlockPipeline().getStats()."""
        running = not self.faults.get("pipeline-stopped")
        producing = running and not self.faults.get("pipeline-stalled")
        return {"isRunning": running, "currentBlockNumber": int(self.blocks), "blocksProduced": int(self.blocks),
                "currentTPS": round(PIPELINE_TPS * self.load ** 0.2 * self.rng.uniform(0.98, 1.02)) if producing else 0,
                "uptime": round(self.t, 3) if running else 0,
                "lastBlockTime": self._ms(self.last_block_wall), "blocksPerSecond": 2 if producing else 0}


def _text(samples: list[tuple[str, str, float]]) -> str:
    """Prometheus text the way TBURN writes it: HELP, TYPE and one sample per metric."""
    lines = []
    for name, kind, value in samples:
        lines += [f"# HELP {name} {name.replace('_', ' ')}", f"# TYPE {name} {kind}", f"{name} {value}", ""]
    return "\n".join(lines)
