"""The writing loop: blocks into TiDB at a pace, and Nectar's ConnectionRecovery when the
database goes away (runbook 000: health checks, backoff, at most 10 attempts, then give up).

The log lines are honeycomb-tech/nectar's (database/connection_recovery.go, and
errors/unified_error_system.go for unified_errors.log), so the demo's NectarReconnecting
alert sees what it would see from the real indexer.
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pymysql

from lookout.simulators.common import FaultRegistry

from .chain import Chain

MAX_ATTEMPTS = 10
TICK = 0.2              # seconds between batches
PRUNE_EVERY = 30.0      # seconds; old rows are deleted so a long demo stays small
KEEP_BLOCKS = 100_000

SCHEMA = """CREATE TABLE IF NOT EXISTS blocks (
  block_no BIGINT NOT NULL PRIMARY KEY,
  slot_no BIGINT NOT NULL,
  epoch_no INT NOT NULL,
  era VARCHAR(16) NOT NULL,
  hash CHAR(64) NOT NULL,
  block_time DATETIME NOT NULL,
  KEY idx_slot (slot_no)
)"""


@dataclass
class DbParams:
    host: str
    port: int
    user: str
    password: str
    database: str


class NectarLog:
    """Nectar's output in its real formats, plus the process's own stderr.

    `path` gets Go's log package format ("2006/01/02 15:04:05 msg", local time), as Nectar's
    stdout does when its dashboard is off; `unified_path` gets the entries of
    errors/unified_error_system.go ("[2006-01-02 15:04:05.000] Type | Component.Operation | msg").
    """

    def __init__(self, path: str | None, unified_path: str | None = None):
        self.path = Path(path) if path else None
        self.unified_path = Path(unified_path) if unified_path else None
        self.stderr = logging.getLogger("nectar")

    def write(self, level: str, message: str) -> None:
        self.stderr.log(logging.ERROR if level == "ERROR" else logging.INFO, message)
        if self.path:
            with self.path.open("a") as f:
                f.write(f"{datetime.now().strftime('%Y/%m/%d %H:%M:%S')} {message}\n")

    def unified(self, kind: str, component: str, operation: str, message: str) -> None:
        if self.unified_path:
            stamp = datetime.now().strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
            with self.unified_path.open("a") as f:
                f.write(f"[{stamp}] {kind} | {component}.{operation} | {message}\n")


class LostDatabase(Exception):
    pass


class Writer:
    def __init__(self, db: DbParams, chain: Chain, faults: FaultRegistry, blocks_per_second: float,
                 log: NectarLog, give_up_pause: float = 15.0):
        self.db, self.chain, self.faults = db, chain, faults
        self.blocks_per_second = blocks_per_second
        self.log = log
        self.give_up_pause = give_up_pause
        self.conn: pymysql.connections.Connection | None = None
        self.pending = 0.0
        self.written = 0
        self.last_drop: float | None = None  # when the drop-blocks fault last gave a block up
        self.reconnects = 0

    def status(self) -> dict:
        return {"block": self.chain.block, "slot": self.chain.slot, "era": self.chain.net.era_of(self.chain.slot),
                "connected": self.conn is not None, "pace": self.pace(), "written": self.written,
                "reconnect_attempts": self.reconnects}

    def dashboard(self) -> dict[str, dict]:
        """Nectar's dashboard API (web/handlers.go): /api/status, /api/errors, /api/memory."""
        tip = self.chain.net.shelley_start_slot + int(time.time() - self.chain.net.shelley_start_time)
        slot = self.chain.slot
        rss_mb = 0
        try:
            with open("/proc/self/statm") as f:
                rss_mb = int(f.read().split()[1]) * 4096 // (1024 * 1024)
        except OSError:
            pass
        return {
            "/api/status": {"status": "running" if self.conn is not None else "reconnecting",
                            "currentEra": self.chain.net.era_of(slot).capitalize(), "currentSlot": slot,
                            "tipSlot": tip, "syncPercentage": slot / tip * 100 if tip else 0,
                            "blocksPerSec": self.pace(), "totalBlocks": self.written},
            "/api/errors": {"totalErrors": self.reconnects,
                            "errorsByType": {"Connection": self.reconnects} if self.reconnects else {},
                            "recentErrors": []},
            "/api/memory": {"alloc": rss_mb, "heapAlloc": rss_mb, "heapSys": rss_mb, "heapInuse": rss_mb,
                            "numGC": 0, "goroutines": 8},
        }

    def pace(self) -> float:
        if self.faults.get("stall"):
            return 0.0
        slow = self.faults.get("slow")
        return slow["blocks_per_second"] if slow else self.blocks_per_second

    # --- database, blocking: run in a thread ---------------------------------------

    def _connect(self) -> None:
        if self.faults.get("db-lost"):
            raise LostDatabase("connection refused by the network (db-lost fault)")
        conn = pymysql.connect(host=self.db.host, port=self.db.port, user=self.db.user, password=self.db.password,
                               autocommit=True, connect_timeout=3, read_timeout=10, write_timeout=10)
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE IF NOT EXISTS `{self.db.database}`")
            cur.execute(f"USE `{self.db.database}`")
            cur.execute(SCHEMA)
            cur.execute("SELECT block_no, slot_no FROM blocks ORDER BY slot_no DESC LIMIT 1")
            row = cur.fetchone()
        if row and int(row[1]) > self.chain.slot:  # resume where the table is
            self.chain.block, self.chain.slot = int(row[0]), int(row[1])
        self.conn = conn

    def _dropped(self, block) -> bool:
        """The drop-blocks fault: this block is given up on, logged as nectar 45d9dbda main.go's
        worker loop does (ProcessingError "failed to process block at slot N after K attempts",
        then "slot N: ..."), and not written."""
        fault = self.faults.get("drop-blocks")
        if not fault:
            self.last_drop = None
            return False
        now = time.monotonic()
        if self.last_drop is not None and now - self.last_drop < fault["every_seconds"]:
            return False
        self.last_drop = now
        worker = 1 + block.block_no % 8
        why = "Error 1452 (23000): Cannot add or update a child row: a foreign key constraint fails"
        self.log.unified("Processing", "BlockWorker", f"Worker{worker}",
                         f"failed to process block at slot {block.slot_no} after 1 attempts: {why}")
        self.log.unified("Processing", "BlockWorker", f"Worker{worker}", f"slot {block.slot_no}: {why}")
        return True

    def _insert(self, n: int) -> None:
        if self.faults.get("db-lost"):
            raise LostDatabase("connection reset (db-lost fault)")
        rows = []
        for _ in range(n):
            b = self.chain.next()
            if self._dropped(b):
                continue
            rows.append((b.block_no, b.slot_no, b.epoch_no, b.era, b.hash,
                         datetime.fromtimestamp(b.time, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")))
        with self.conn.cursor() as cur:
            if rows:
                cur.executemany("INSERT IGNORE INTO blocks (block_no, slot_no, epoch_no, era, hash, block_time) "
                                "VALUES (%s, %s, %s, %s, %s, %s)", rows)
            else:
                cur.execute("SELECT 1")  # Nectar's health check: a hung indexer still holds its connection
        self.written += len(rows)

    def _prune(self) -> None:
        with self.conn.cursor() as cur:
            cur.execute("DELETE FROM blocks WHERE block_no < %s LIMIT 50000", (self.chain.block - KEEP_BLOCKS,))

    def _drop(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # already broken; closing is best effort
                pass

    # --- the loop -----------------------------------------------------------------

    async def run(self) -> None:
        last_prune = time.monotonic()
        await self.recover(first=True)
        last = time.monotonic()
        while True:
            await asyncio.sleep(TICK)
            now = time.monotonic()
            self.pending += self.pace() * (now - last)
            last = now
            n = int(self.pending)
            self.pending -= n
            try:
                await asyncio.to_thread(self._insert, n)
                if now - last_prune > PRUNE_EVERY:
                    last_prune = now
                    await asyncio.to_thread(self._prune)
            except (pymysql.MySQLError, OSError, LostDatabase) as exc:
                self.chain.block -= n  # those blocks were not written; write them again
                self.log.write("ERROR", f"[ConnectionRecovery] Health check failed: {exc}")
                self.log.unified("Connection", "ConnectionRecovery", "HealthCheck", f"ping failed: {exc}")
                self.log.write("INFO", "[ConnectionRecovery] Attempting automatic recovery...")
                await asyncio.to_thread(self._drop)
                await self.recover()
                last = time.monotonic()

    async def recover(self, first: bool = False) -> None:
        while True:
            if first:
                try:
                    await asyncio.to_thread(self._connect)
                    self.log.write("INFO", "[ConnectionRecovery] Database connection established successfully")
                    return
                except (pymysql.MySQLError, OSError, LostDatabase) as exc:
                    self.log.write("ERROR", f"[ConnectionRecovery] Health check failed: initial connection failed: {exc}")
                first = False
            # connection_recovery.go reconnectWithBackoff(): a wait line before every attempt
            # but the first, a failure line after each failed one.
            for attempt in range(1, MAX_ATTEMPTS + 1):
                if attempt > 1:
                    delay = min(2 ** (attempt - 2), 5)
                    self.log.write("INFO", f"[ConnectionRecovery] Waiting {delay}s before reconnect attempt "
                                           f"{attempt}/{MAX_ATTEMPTS}")
                    await asyncio.sleep(delay)
                self.reconnects += 1
                try:
                    await asyncio.to_thread(self._connect)
                except (pymysql.MySQLError, OSError, LostDatabase) as exc:
                    self.log.write("ERROR", f"[ConnectionRecovery] Reconnect attempt {attempt}/{MAX_ATTEMPTS} "
                                            f"failed: ping failed: {exc}")
                    self.log.unified("Connection", "ConnectionRecovery", "Reconnect",
                                     f"retry {attempt}/{MAX_ATTEMPTS}: {exc}")
                    continue
                self.log.write("INFO", "[ConnectionRecovery] Database connection established successfully")
                return
            self.log.write("ERROR", f"[ConnectionRecovery] Automatic recovery failed: failed to reconnect after "
                                    f"{MAX_ATTEMPTS} attempts")
            self.log.unified("Connection", "ConnectionRecovery", "Recovery",
                             f"failed to reconnect after {MAX_ATTEMPTS} attempts")
            # The real indexer stops here; the demo waits and tries again so it heals by itself.
            await asyncio.sleep(self.give_up_pause)
