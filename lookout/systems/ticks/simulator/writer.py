"""The collecting loop: ticks into the database, the real collector's log lines, the health file.

Log lines and table are smartiesss/datadownloader's (scripts/ws_tick_collector.py,
scripts/tick_writer.py): "Reconnecting in Ns... (attempt N)", the minutely
"STATS | Ticks: N | Quotes: N | ... | Buffer: Q=x% T=y% D=z% | DB Writes: ..." line, the
heartbeat's "No ticks received for Ns (timeout: Ns)" warning, and ERROR lines, which the
ticks exporter counts from `docker logs`. A flush lost for good logs what datadownloader
377f9a60 logs: tick_writer.py's "Batch write failed (attempt k/3): e" (3 times) and "Failed to
write N quotes after 3 attempts", then ws_tick_collector.py's "Failed to flush buffers: e".
"""
from __future__ import annotations

import asyncio
import logging
import os
import random
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import asyncpg

from .faults import PersistentFaults

log = logging.getLogger("tick_collector")

TICK = 0.3
INSTRUMENTS = [f"ETH-{day}-{strike}-{kind}" for day in ("27DEC25", "30JAN26", "27MAR26")
               for strike in (2500, 3000, 3500, 4000) for kind in ("C", "P")]

# The columns scripts/tick_writer.py inserts (the instrument column is `instrument`;
# `instrument_name` is only Deribit's JSON key).
SCHEMA = """CREATE TABLE IF NOT EXISTS eth_option_quotes (
  "timestamp" timestamptz NOT NULL,
  instrument text NOT NULL,
  best_bid_price numeric, best_bid_amount numeric, best_ask_price numeric, best_ask_amount numeric,
  underlying_price numeric, mark_price numeric,
  delta numeric, gamma numeric, theta numeric, vega numeric, rho numeric,
  implied_volatility numeric, bid_iv numeric, ask_iv numeric, mark_iv numeric,
  open_interest numeric, last_price numeric,
  PRIMARY KEY ("timestamp", instrument)
)"""
BUFFER_QUOTES = 200000  # BUFFER_SIZE_QUOTES default
HEARTBEAT_TIMEOUT = 60  # heartbeat_timeout_sec


class TickWriter:
    def __init__(self, dsn: str, faults: PersistentFaults, ticks_per_minute: float, stats_every: float,
                 health_file: str | None, seed: int | None = None, password: str | None = None):
        self.dsn = dsn
        self.password = password
        self.faults = faults
        self.ticks_per_minute = ticks_per_minute
        self.stats_every = stats_every
        self.health_file = Path(health_file) if health_file else None
        self.rng = random.Random(seed)
        self.conn: asyncpg.Connection | None = None
        self.total = 0
        self.started = time.monotonic()
        self.pending = 0.0
        self.errors_due = 0.0
        self.drops_due = 0.0
        self.unwritten = 0           # ticks received but not stored (the buffer's fill)
        self.errors_logged = 0
        self.last_tick = time.monotonic()
        self.last_lost: float | None = None  # when the write-failures fault last dropped a flush

    def status(self) -> dict:
        return {"ticks": self.total, "connected": self.conn is not None, "pace": self.pace(),
                "healthy": self._healthy()}

    def pace(self) -> float:
        if self.faults.get("stall"):
            return 0.0
        slow = self.faults.get("slow")
        return slow["ticks_per_minute"] if slow else self.ticks_per_minute

    def _healthy(self) -> bool:
        return not self.faults.get("unhealthy")

    def _mark_health(self) -> None:
        if not self.health_file:
            return
        if self._healthy():
            self.health_file.write_text(str(time.time()))
        else:
            self.health_file.unlink(missing_ok=True)

    async def _connect(self) -> None:
        delay = 1
        while True:
            try:
                conn = await asyncpg.connect(self.dsn, password=self.password, timeout=5)
                await conn.execute(SCHEMA)
                await conn.execute('CREATE INDEX IF NOT EXISTS eth_option_quotes_ts ON eth_option_quotes ("timestamp" DESC)')
                await self._try_hypertable(conn)
                self.conn = conn
                log.info("Database connected")
                log.info("WebSocket connected successfully")
                return
            except (OSError, asyncpg.PostgresError, asyncio.TimeoutError) as exc:
                log.error("Database connection failed: %s", type(exc).__name__)
                log.info("Reconnecting in %ds...", delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30)

    @staticmethod
    async def _try_hypertable(conn: asyncpg.Connection) -> None:
        """A hypertable where TimescaleDB is there (compose); a plain table on PostgreSQL."""
        try:
            if await conn.fetchval("SELECT count(*) FROM pg_available_extensions WHERE name = 'timescaledb'"):
                await conn.execute("CREATE EXTENSION IF NOT EXISTS timescaledb")
                await conn.execute("SELECT create_hypertable('eth_option_quotes', 'timestamp', if_not_exists => TRUE)")
        except asyncpg.PostgresError as exc:
            log.warning("no hypertable: %s", exc)

    def _rows(self, n: int) -> list[tuple]:
        now = datetime.now(timezone.utc)
        rows = []
        for i in range(n):
            mark = self.rng.uniform(5, 400)
            spread = mark * self.rng.uniform(0.01, 0.04)
            rows.append((now - timedelta(milliseconds=(n - i) * 10), self.rng.choice(INSTRUMENTS),
                         round(mark - spread / 2, 2), round(mark + spread / 2, 2), round(mark, 2)))
        return rows

    async def run(self) -> None:
        log.info("Starting ETH option tick collector")
        self._mark_health()
        await self._connect()
        last = last_stats = time.monotonic()
        while True:
            await asyncio.sleep(TICK)
            now = time.monotonic()
            dt, last = now - last, now
            self._crash_if_due(now)
            self._mark_health()
            await self._side_effects(dt)
            # Poisson-ish arrivals around the pace, so the rate panels look alive.
            self.pending += self.pace() / 60.0 * dt * self.rng.uniform(0.7, 1.3)
            n = int(self.pending)
            self.pending -= n
            if n and self._flush_lost(n, now):
                self.last_tick = now
            elif n:
                self.last_tick = now
                try:
                    await self.conn.executemany(
                        'INSERT INTO eth_option_quotes ("timestamp", instrument, best_bid_price, best_ask_price, '
                        "mark_price) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING", self._rows(n))
                    self.total += n
                    self.unwritten = 0
                except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                    self.unwritten += n
                    self._log_lost_flush(n, type(exc).__name__)
                    await self._reconnect()
            if now - last_stats >= self.stats_every:
                last_stats = now
                # ws_tick_collector.py _stats_logger(); the buffer fills while writes fail.
                buffered = min(100.0, 100.0 * self.unwritten / BUFFER_QUOTES)
                log.info("STATS | Ticks: %d | Quotes: %d | Trades: %d | Depth: 0 | Errors: %d "
                         "| Buffer: Q=%.1f%% T=%.1f%% D=0.0%% | DB Writes: Q=%d T=%d",
                         self.total + self.unwritten, self.total + self.unwritten, 0, self.errors_logged,
                         buffered, 0.0, self.total, 0)
                if self.pace() == 0 and now - self.last_tick >= HEARTBEAT_TIMEOUT:
                    log.warning("No ticks received for %.0fs (timeout: %ds)", now - self.last_tick, HEARTBEAT_TIMEOUT)

    def _flush_lost(self, n: int, now: float) -> bool:
        """True when the write-failures fault drops this flush (logged as the collector does)."""
        fault = self.faults.get("write-failures")
        if not fault:
            self.last_lost = None
            return False
        if self.last_lost is not None and now - self.last_lost < fault["every_seconds"]:
            return False
        self.last_lost = now
        self._log_lost_flush(n, "could not extend file: No space left on device")
        return True

    def _log_lost_flush(self, n: int, why: str) -> None:
        for attempt in range(1, 4):
            log.error("Batch write failed (attempt %d/3): %s", attempt, why)
        log.error("Failed to write %d quotes after 3 attempts", n)
        log.error("Failed to flush buffers: %s", why)
        self.errors_logged += 5

    async def _reconnect(self) -> None:
        try:
            if self.conn is not None:
                await self.conn.close(timeout=2)
        except Exception:  # the connection is already broken
            pass
        self.conn = None
        await self._connect()

    async def _side_effects(self, dt: float) -> None:
        spike = self.faults.get("error-spike")
        if spike:
            self.errors_due += spike["per_minute"] / 60.0 * dt
            while self.errors_due >= 1:
                self.errors_due -= 1
                self.errors_logged += 1
                log.error("Message handling failed: invalid quote payload (instrument missing)")
        storm = self.faults.get("reconnect-storm")
        if storm:
            self.drops_due += storm["per_minute"] / 60.0 * dt
            if self.drops_due >= 1:
                self.drops_due = 0
                delay = self.rng.choice((1, 2, 5))
                log.warning("WebSocket connection closed (code 1006)")
                log.info("Reconnecting in %ds...", delay)
                log.info("WebSocket connected successfully")

    def _crash_if_due(self, now: float) -> None:
        crash = self.faults.get("crash-loop")
        if crash and now - self.started >= crash["run_seconds"]:
            log.critical("ERROR Fatal: unhandled exception in message loop; exiting")
            sys.stderr.flush()
            sys.stdout.flush()
            os._exit(1)  # a crash: no cleanup, Docker's restart policy brings it back
