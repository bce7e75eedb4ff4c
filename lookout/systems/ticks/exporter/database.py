"""The tick database: a small asyncpg pool, per-statement timeouts from the scrape deadline,
and reconnects paced by a backoff so a dead server is not hammered by every scrape.

asyncpg speaks only asyncio, and the collectors run on plain threads: every call goes through
`runtime/asyncbridge.py`, so the pool, the ping's connection, their locks and the backoff live
on the bridge's one loop thread and are only touched there (no threading lock needed). A
collector's thread waits for its call at most until the scrape deadline; a call it gave up on
is cancelled on the loop, which aborts the connection it was using.

The ping has a connection of its own, outside the pool: a reachability probe never queues
behind table statements blocked by a lock. No statement is kept prepared across
transactions (asyncpg's statement cache is off), so a pooler in transaction mode
(PgBouncer) in front of the server, which hands each transaction to any server
connection, never meets "prepared statement ... does not exist".
"""
from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlsplit

import asyncpg

from lookout.exporters.runtime import Backoff, CollectError, Deadline, redact
from lookout.exporters.runtime.asyncbridge import run as on_loop

from .config import DatabaseConfig

# SQLSTATE classes that mean "the server is not there for us" rather than "bad query":
# 08 connection exception, 57 operator intervention (shutdown, starting up), 53 resources.
_CONNECTION_CLASSES = ("08", "57", "53")
_DATABASE_MISSING = "3D000"
_CLOSE_SECONDS = 1.0  # a graceful close of the pool at shutdown, then its sockets are aborted


class Database:
    def __init__(self, cfg: DatabaseConfig):
        self.cfg = cfg
        self.backoff = Backoff(initial=0.5, maximum=cfg.reconnect_max_backoff_seconds)
        self._pool: asyncpg.Pool | None = None
        # asyncio locks: taken on the bridge's loop, where the pool is made (one pool however
        # many table collectors ask at once).
        self._pool_lock = asyncio.Lock()
        self._ping_conn: asyncpg.Connection | None = None
        self._ping_lock = asyncio.Lock()
        self._last_error = ""
        self._last_reason = "connection"
        self.where = _describe_target(cfg.dsn.reveal())

    def ping(self, deadline: Deadline) -> None:
        """`SELECT 1`: whether the server answers at all (what `ticks_up` means). Blocking,
        at most until the deadline; raises CollectError."""
        # execute(): the simple-query protocol, one round trip (fetchval would prepare first).
        self._call(lambda conn: conn.execute("SELECT 1", timeout=deadline.remaining()), deadline, "ping",
                   self._dedicated)

    def fetchrow(self, sql: str, deadline: Deadline, what: str, columns: tuple[str, ...]) -> dict:
        """The one row of a read-only `sql` as {column: text, or None for NULL}, `columns`
        naming its columns in order; `what` names it in errors ("table eth_option_quotes").

        One round trip: a simple query opens the read-only transaction, bounds its statements
        by what is left of the deadline (SET LOCAL ends with the transaction, so a pooled
        connection never keeps it), copies the row out in COPY's text format and commits.
        asyncpg's simple queries drop rows, and a prepared statement costs two round trips
        more; its COPY path takes the text as one simple query and keeps the copied bytes.
        Blocking, at most until the deadline; raises CollectError."""
        chunks: list[bytes] = []

        async def sink(data: bytes) -> None:
            chunks.append(data)

        async def run(conn):
            # The time limit is what is left once a connection is ours: a wait for one of the
            # pool's connections must not let the server run past the scrape's deadline.
            statement = (f"BEGIN READ ONLY; SET LOCAL statement_timeout = {deadline.remaining_ms()}; "
                         f"COPY ({sql}) TO STDOUT; COMMIT")
            try:
                await conn._copy_out(statement, sink, deadline.remaining())  # see the docstring
            except asyncpg.PostgresError:
                # The server answered (an error, statement_timeout) and skipped the rest, COMMIT
                # too: end the transaction, so the connection goes back to the pool clean.
                if conn.is_in_transaction():
                    await conn.execute("ROLLBACK")
                raise
            return _copied_row(b"".join(chunks), columns, what)
        return self._call(run, deadline, what, self._pooled)

    def _call(self, fn, deadline: Deadline, what: str, lease):
        """`fn(conn)` on a connection from `lease`, on the bridge's loop, from the caller's thread."""
        try:
            return on_loop(lambda: self._use(fn, deadline, what, lease), deadline.remaining())
        except CollectError as exc:
            if exc.reason != "timeout" or str(exc).startswith(f"{what}:"):
                raise  # the loop's own answer (all of them name `what`, or are not timeouts)
            # The bridge gave up at the deadline (and cancelled the call, which aborts its
            # connection): the same failure as the loop's own timeout, in the same words.
            raise self._timed_out(what) from None

    def _timed_out(self, what: str) -> CollectError:
        return CollectError("timeout", f"{what}: no answer from {self.where} within the scrape deadline")

    async def _use(self, fn, deadline: Deadline, what: str, lease):
        if not self.backoff.ready():
            # The reason of the failure being paced (auth stays auth), not a reason of its own.
            raise CollectError(self._last_reason, f"{self._last_error} (next attempt in "
                                                  f"{self.backoff.seconds_until_ready():.1f}s)")
        try:
            async with asyncio.timeout(deadline.remaining()):
                async with lease(deadline) as conn:
                    result = await fn(conn)
        except (asyncio.TimeoutError, TimeoutError):
            raise self._timed_out(what) from None
        except (OSError, ValueError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            err = self._classify(exc, what)
            if err.reason in ("connection", "auth"):
                self._last_error, self._last_reason = str(err), err.reason
                self.backoff.failed()
                await self._drop_connections()
            raise err from None
        self.backoff.succeeded()
        return result

    @contextlib.asynccontextmanager
    async def _pooled(self, deadline: Deadline):
        pool = await self._get_pool()
        conn = await pool.acquire()
        try:
            yield conn
        except asyncpg.PostgresError:
            # The server answered (an error, statement_timeout): the connection is fine.
            await pool.release(conn, timeout=max(deadline.remaining(), 0.01))
            raise
        except BaseException:
            # A connection that failed or did not answer in time may never answer (a
            # frozen server, a peer gone without RST): abort its socket now rather than
            # wait on a graceful release, so neither the next scrape nor shutdown queues
            # behind it. The pool dials a fresh one when asked.
            conn.terminate()
            raise
        await pool.release(conn, timeout=max(deadline.remaining(), 0.01))

    @contextlib.asynccontextmanager
    async def _dedicated(self, deadline: Deadline):
        """The ping's own connection, dialled on first use and after any failure."""
        async with self._ping_lock:
            conn = self._ping_conn
            if conn is None or conn.is_closed():
                conn = self._ping_conn = await asyncpg.connect(**self._connect_args())
            try:
                yield conn
            except asyncpg.PostgresError:
                raise
            except BaseException:
                self._ping_conn = None
                conn.terminate()  # same reason as in _pooled
                raise

    def _connect_args(self) -> dict:
        return dict(dsn=self.cfg.dsn.reveal(), password=self.cfg.password.reveal() or None,
                    timeout=self.cfg.connect_timeout_seconds, command_timeout=None,
                    # Off: a pooler in transaction mode may run the next statement on another
                    # server connection, where a statement prepared earlier does not exist.
                    statement_cache_size=0,
                    server_settings={"application_name": "lookout-ticks"})

    async def _get_pool(self) -> asyncpg.Pool:
        async with self._pool_lock:
            if self._pool is None:
                self._pool = await self._new_pool()
        return self._pool

    def _new_pool(self) -> asyncpg.Pool:
        # min_size=0: nothing connects until a scrape asks, so a database that is down at
        # start-up is just a failed collection, and the pool re-dials dead connections itself.
        return asyncpg.create_pool(min_size=0, max_size=self.cfg.pool_size,
                                   max_inactive_connection_lifetime=120, reset=_nothing_to_reset,
                                   **self._connect_args())

    async def _drop_connections(self) -> None:
        # After a server restart every pooled connection is dead; drop them all at once
        # instead of discovering that one failed scrape at a time.
        ping, self._ping_conn = self._ping_conn, None
        if ping is not None:
            ping.terminate()
        if self._pool is not None:
            try:
                await self._pool.expire_connections()
            except Exception:  # best effort; the pool replaces broken connections anyway
                pass

    def _classify(self, exc: BaseException, what: str) -> CollectError:
        detail = redact(_first_line(exc))
        if isinstance(exc, (asyncpg.InvalidPasswordError, asyncpg.InvalidAuthorizationSpecificationError)):
            return CollectError("auth", f"{self.where} refused the login: {detail}")
        if isinstance(exc, asyncpg.QueryCanceledError):
            return CollectError("timeout", f"{what}: cancelled by statement_timeout at the scrape deadline")
        if isinstance(exc, asyncpg.PostgresError):
            state = getattr(exc, "sqlstate", "") or ""
            if state[:2] in _CONNECTION_CLASSES or state == _DATABASE_MISSING:
                return CollectError("connection", f"cannot use {self.where}: {detail}")
            return CollectError("query", f"{what}: {detail}")
        return CollectError("connection", f"cannot reach {self.where}: {detail}")

    def close(self) -> None:
        """Closes the pool and the ping's connection, waiting at most about a second."""
        if self._pool is None and self._ping_conn is None:
            return  # never connected: no loop to start just to close nothing
        try:
            on_loop(self._close, _CLOSE_SECONDS + 0.5)
        except CollectError:
            pass  # shutting down: a pool that did not close in time dies with the process

    async def _close(self) -> None:
        ping, self._ping_conn = self._ping_conn, None
        if ping is not None:
            ping.terminate()
        pool, self._pool = self._pool, None
        if pool is not None:
            try:
                await asyncio.wait_for(pool.close(), _CLOSE_SECONDS)
            except (asyncio.TimeoutError, TimeoutError):
                pool.terminate()


async def _nothing_to_reset(conn: asyncpg.Connection) -> None:
    """The pool's reset on release: asyncpg still rolls back an open transaction, but its
    default reset query (unlock advisory locks, CLOSE ALL, UNLISTEN, RESET ALL) would cost a
    round trip per statement for state these statements never leave: SET LOCAL ends with
    its transaction, and nothing here takes locks, opens cursors or listens."""


def _copied_row(data: bytes, columns: tuple[str, ...], what: str) -> dict:
    """One line of COPY's text format (tab-separated, `\\N` for NULL) as {column: text}."""
    lines = data.decode().split("\n")
    if len(lines) != 2 or lines[1]:
        raise CollectError("parse", f"{what}: expected one row, got {len(lines) - 1}")
    values = lines[0].split("\t")
    if len(values) != len(columns):
        raise CollectError("parse", f"{what}: expected {len(columns)} columns, got {len(values)}")
    return {c: None if v == "\\N" else v for c, v in zip(columns, values)}


def _first_line(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:300]


def _describe_target(dsn: str) -> str:
    """host:port/dbname for messages: never the user or password."""
    try:
        parts = urlsplit(dsn)
        host = parts.hostname or "localhost"
        port = parts.port or 5432
    except ValueError:
        return "the database"
    db = parts.path.lstrip("/")
    return f"PostgreSQL at {host}:{port}" + (f"/{db}" if db else "")
