"""TBURN's state and how it moves with time, load and the active faults.

Green by default: load swings gently around 40 req/s; the heap climbs with load and a GC
brings it back (a sawtooth between about 38% and 52%, its post-GC floor flat); lag and
P99 follow load; the DB pool drains as load rises; 32 shards. Faults push these values
across the runbook's thresholds, with the couplings the runbook describes (lag past
250 ms degrades the shedder, a Critical heap rejects requests, an exhausted pool brings
latency and 503s). The model advances lazily, when an endpoint asks, in small steps.
"""
from __future__ import annotations

import math
import random
import time
from datetime import datetime, timezone
from typing import Callable

from lookout.simulators.common import FaultRegistry

from .faults import BREAKERS, HEAP_LEVELS

HEAP_LIMIT_MB = 4096.0
HEAP_FLOOR = 0.38           # ratio left after a GC
HEAP_GC_AT = 0.52           # ratio at which V8 collects
HEAP_GROWTH = 0.002         # ratio per second at load 1.0
BASE_RPS = 40.0
BASE_ERROR_RATIO = 0.0005   # under the 0.1% SLA
SHED_LAG_MS = 250.0         # the shedder's event-loop-lag threshold
BACKPRESSURE_RPS = 150.0
POOL_SIZE, POOL_MAX = 20, 30
BASE_SHARDS, MIN_SHARDS, MAX_SHARDS = 32, 24, 64
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
        self.heap_floor = HEAP_FLOOR
        self.heap = HEAP_FLOOR + self.rng.uniform(0, HEAP_GC_AT - HEAP_FLOOR)
        self.last_gc_wall: float | None = None   # null until the first GC, like a fresh process
        self.last_gc_t = -1e9
        self.gc_count = 0
        self.degraded_until = -1.0
        self.error_ratio = BASE_ERROR_RATIO
        self.p99_ms = self.p50_ms = self.lag_ms = 0.0
        self.rps = BASE_RPS
        self.pool_busy = 0
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
        self.rps = BASE_RPS * self.load
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
        critical = self.governor_state() == "Critical"
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

        # The DB pool drains as load rises.
        self.pool_busy = POOL_MAX if exhausted else \
            max(0, min(POOL_SIZE, round(3 + 5 * self.load + rng.gauss(0, 0.7))))

        if not f("pipeline-stopped"):
            self.blocks += dt * 2.0

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

    # --- derived states (the runbook's tables) ----------------------------------

    def heap_ratio(self) -> float:
        return min(max(self.heap, 0.0), 1.0)

    def guardian_level(self) -> str:
        r = self.heap_ratio()
        return "emergency" if r >= 0.92 else "critical" if r >= 0.85 else "warning" if r >= 0.70 else "normal"

    def governor_state(self) -> str:
        r = self.heap_ratio()
        if r > 0.95:
            return "Critical"
        if r >= 0.90:
            return "Hibernating"
        if r >= 0.85:
            return "Deferred"
        return "Warning" if r >= 0.75 else "Normal"

    def shard_count(self) -> int:
        scale_out = self.faults.get("shard-scale-out")
        if scale_out:
            return scale_out["count"]
        return BASE_SHARDS + (4 if self.load > 1.2 else 0)

    def hibernated_shards(self) -> list[int]:
        n = {"Hibernating": 4, "Critical": 8}.get(self.governor_state(), 0)
        top = self.shard_count()
        return list(range(top - 1, max(top - 1 - n, -1), -1))  # the least used: the newest

    # --- what each endpoint answers ---------------------------------------------

    def _iso(self, wall: float | None) -> str | None:
        if wall is None:
            return None
        return datetime.fromtimestamp(wall, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def health(self) -> dict:
        return {"status": "ok", "timestamp": self._iso(self.wall())}

    def system_health(self) -> dict:
        bad = self.error_ratio >= 0.05 or self.p99_ms >= 500 or self.degraded()
        return {
            "status": "degraded" if bad else "healthy",
            "uptimeSeconds": round(self.t, 3),
            "errorRate": round(self.error_ratio, 6),
            "p99LatencyMs": round(self.p99_ms, 1),
            "p50LatencyMs": round(self.p50_ms, 1),
            "requestsPerSecond": round(self.rps, 2),
            "totalRequests": int(self.requests),
            "totalErrors": int(self.errors),
            "timestamp": self._iso(self.wall()),
        }

    def memory_guardian(self) -> dict:
        used = self.heap_ratio() * HEAP_LIMIT_MB
        return {
            "heapUsedMB": round(used, 2),
            "heapTotalMB": round(min(HEAP_LIMIT_MB, used * 1.1 + 48.0), 2),
            "heapLimitMB": HEAP_LIMIT_MB,
            "heapRatio": round(self.heap_ratio(), 4),
            "level": self.guardian_level(),
            "lastGcAt": self._iso(self.last_gc_wall),
            "gcCount": self.gc_count,
        }

    def memory_governor(self) -> dict:
        hibernated = self.hibernated_shards()
        return {
            "state": self.governor_state(),
            "heapRatio": round(self.heap_ratio(), 4),
            "hibernatedShards": hibernated,
            "activeShards": self.shard_count() - len(hibernated),
        }

    def request_shedder(self) -> dict:
        return {
            "eventLoopLagMs": round(self.lag_ms, 2),
            "isDegradedMode": self.degraded(),
            "totalSheddedRequests": int(self.shed),
            "currentRps": round(self.rps, 2),
            "lagThresholdMs": SHED_LAG_MS,
            "backpressureRps": BACKPRESSURE_RPS,
            "degradedUntil": self._iso(self.wall_at(self.degraded_until)) if self.degraded() else None,
        }

    def circuit_breakers(self) -> dict:
        stuck = self.faults.get("breaker-open")
        breakers = []
        for name in BREAKERS:
            state = stuck["state"] if stuck and stuck["breaker"] == name else "CLOSED"
            breakers.append({"name": name, "state": state, "failures": 0 if state == "CLOSED" else 12})
        return {"breakers": breakers, "timestamp": self._iso(self.wall())}

    def db_pool(self) -> dict:
        exhausted = self.faults.get("db-pool-exhaustion")
        total = POOL_MAX if exhausted else POOL_SIZE
        waiting = exhausted["waiting"] + self.rng.randint(0, 2) if exhausted else 0
        return {"totalCount": total, "idleCount": max(total - self.pool_busy, 0),
                "waitingCount": waiting, "maxConnections": POOL_MAX}

    def pipeline(self) -> dict:
        running = not self.faults.get("pipeline-stopped")
        return {"isRunning": running,
                "tps": round(PIPELINE_TPS * self.load ** 0.2 * self.rng.uniform(0.98, 1.02)) if running else 0,
                "processedBlocks": int(self.blocks)}

    def shards(self) -> dict:
        return {"shardCount": self.shard_count(), "minShards": MIN_SHARDS, "maxShards": MAX_SHARDS}
