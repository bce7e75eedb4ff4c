"""The tick database: a small pool of blocking connections (`pgwire.py`), per-statement
timeouts from the scrape deadline, and reconnects paced by a backoff so a dead server is not
hammered by every scrape.

The collectors run on plain threads and call in directly: every socket operation, every wait
for one of the pool's connections and the ping's lock is bounded by the scrape deadline, and a
connection that failed or did not answer in time is aborted (a frozen server, a peer gone
without RST may never answer), so neither the next scrape nor shutdown queues behind it.

The ping has a connection of its own, outside the pool: a reachability probe never queues
behind table statements blocked by a lock. Nothing is ever prepared (pgwire speaks only the
simple Query protocol), so a pooler in transaction mode (PgBouncer) in front of the server,
which hands each transaction to any server connection, never meets "prepared statement ...
does not exist".
"""
from __future__ import annotations

import contextlib
import threading
import time

from lookout.exporters.runtime import Backoff, CollectError, Deadline, redact
from lookout.exporters.runtime.held import held

from . import pgwire
from .dsn import Params
from .config import DatabaseConfig

# SQLSTATE classes that mean "the server is not there for us" rather than "bad query":
# 08 connection exception, 57 operator intervention (shutdown, starting up), 53 resources.
_CONNECTION_CLASSES = ("08", "57", "53")
_DATABASE_MISSING = "3D000"
# The SQLSTATEs asyncpg's classes named (InvalidPasswordError, InvalidAuthorizationSpecification-
# Error, QueryCanceledError), from PostgreSQL's errcodes.txt.
_AUTH_STATES = ("28P01", "28000")
_QUERY_CANCELED = "57014"
_IDLE_LIFETIME = 120.0  # seconds an idle pooled connection is kept (servers and NATs drop idle ones)


class Database:
    def __init__(self, cfg: DatabaseConfig):
        self.cfg = cfg
        self.backoff = Backoff(initial=0.5, maximum=cfg.reconnect_max_backoff_seconds)
        self._params: pgwire.Params | None = None  # read at the first dial (validated with the config)
        self._lock = threading.Lock()  # the lists below, the backoff and the last error
        self._slots = threading.BoundedSemaphore(cfg.pool_size)
        self._idle: list[pgwire.Connection] = []
        self._open: set[pgwire.Connection] = set()  # every connection, aborted by close()
        self._generation = 0  # raised when the server went away: older connections are dropped
        self._ping_lock = threading.Lock()
        self._ping_conn: pgwire.Connection | None = None
        self._closed = False
        self._last_error = ""
        self._last_reason = "connection"
        self.where = _describe_target(cfg.dsn.reveal())

    def ping(self, deadline: Deadline) -> None:
        """`SELECT 1`: whether the server answers at all (what `ticks_up` means). Blocking,
        at most until the deadline; raises CollectError."""
        self._call(lambda conn: conn.execute("SELECT 1", deadline.at), deadline, "ping", self._dedicated)

    def fetchrow(self, sql: str, deadline: Deadline, what: str, columns: tuple[str, ...]) -> dict:
        """The one row of a read-only `sql` as {column: text, or None for NULL}, `columns`
        naming its columns in order; `what` names it in errors ("table eth_option_quotes").

        One round trip: a simple query opens the read-only transaction, bounds its statements
        by what is left of the deadline (SET LOCAL ends with the transaction, so a pooled
        connection never keeps it), copies the row out in COPY's text format and commits.
        Blocking, at most until the deadline; raises CollectError."""
        def run(conn: pgwire.Connection) -> dict:
            # The time limit is what is left once a connection is ours: a wait for one of the
            # pool's connections must not let the server run past the scrape's deadline.
            statement = (f"BEGIN READ ONLY; SET LOCAL statement_timeout = {deadline.remaining_ms()}; "
                         f"COPY ({sql}) TO STDOUT; COMMIT")
            data, error = conn.copy_out(statement, deadline.at)
            if error is not None:
                # The server answered (an error, statement_timeout) and skipped the rest, COMMIT
                # too: end the transaction, so the connection goes back to the pool clean.
                if conn.status != b"I":
                    conn.execute("ROLLBACK", deadline.at)
                raise error
            return _copied_row(data, columns, what)
        return self._call(run, deadline, what, self._pooled)

    def _timed_out(self, what: str) -> CollectError:
        return CollectError("timeout", f"{what}: no answer from {self.where} within the scrape deadline")

    def _call(self, fn, deadline: Deadline, what: str, lease):
        """`fn(conn)` on a connection from `lease`, on the caller's thread."""
        with self._lock:
            if not self.backoff.ready():
                # The reason of the failure being paced (auth stays auth), not a reason of its own.
                raise CollectError(self._last_reason, f"{self._last_error} (next attempt in "
                                                      f"{self.backoff.seconds_until_ready():.1f}s)")
        try:
            with lease(deadline, what) as conn:
                result = fn(conn)
        except TimeoutError:
            raise self._timed_out(what) from None
        except (OSError, ValueError, pgwire.PgError, pgwire.ProtocolError) as exc:
            err = self._classify(exc, what)
            if err.reason in ("connection", "auth"):
                with self._lock:
                    self._last_error, self._last_reason = str(err), err.reason
                    self.backoff.failed()
                self._drop_connections()
            raise err from None
        with self._lock:
            self.backoff.succeeded()
        return result

    @contextlib.contextmanager
    def _pooled(self, deadline: Deadline, what: str):
        with held(self._slots, deadline, f"{what}: no pooled connection of {self.where} free within the "
                                         "scrape deadline"):
            conn = self._take_idle() or self._dial(deadline)
            try:
                with self._aborted_unless_answered(conn):
                    yield conn
            except pgwire.PgError:
                self._give_back(conn)
                raise
            self._give_back(conn)

    def _give_back(self, conn: pgwire.Connection) -> None:
        """Idle again, unless it is left in a transaction, from before the server went away,
        or the database is closing."""
        with self._lock:
            if conn.status == b"I" and conn.generation == self._generation and not self._closed:
                self._idle.append(conn)
                return
        self._forget(conn)

    @contextlib.contextmanager
    def _dedicated(self, deadline: Deadline, what: str):
        """The ping's own connection, dialled on first use and after any failure."""
        with held(self._ping_lock, deadline, f"{what}: its connection to {self.where} was busy for the whole "
                                             "scrape deadline"):
            conn = self._ping_conn
            if conn is not None and (conn.generation != self._generation or not conn.idle_and_alive()):
                self._forget(conn)
                conn = None
            if conn is None:
                conn = self._ping_conn = self._dial(deadline)
            try:
                with self._aborted_unless_answered(conn):
                    yield conn
            except BaseException:
                if self._ping_conn is conn and conn not in self._open:
                    self._ping_conn = None
                raise

    @contextlib.contextmanager
    def _aborted_unless_answered(self, conn: pgwire.Connection):
        try:
            yield
        except pgwire.PgError:
            raise  # the server answered (an error, statement_timeout): the connection is fine
        except BaseException:
            # It failed or did not answer in time, and may never answer: abort its socket now
            # rather than wait on it; a fresh one is dialled when asked.
            self._forget(conn)
            raise

    def _dial(self, deadline: Deadline) -> pgwire.Connection:
        until = time.monotonic() + min(self.cfg.connect_timeout_seconds, deadline.remaining())
        with self._lock:
            generation = self._generation
        if self._params is None:
            self._params = pgwire.Params(self.cfg.dsn.reveal(), self.cfg.password.reveal(),
                                         {"application_name": "lookout-ticks"})
        conn = pgwire.connect(self._params, until)
        conn.generation = generation
        with self._lock:
            if self._closed:
                conn.abort()
                raise OSError("shutting down")
            self._open.add(conn)
        return conn

    def _take_idle(self) -> pgwire.Connection | None:
        """The most recently used idle connection that is still good; the others it met closed."""
        now = time.monotonic()
        while True:
            with self._lock:
                if not self._idle:
                    return None
                conn = self._idle.pop()
            if conn.generation == self._generation and now - conn.used < _IDLE_LIFETIME and conn.idle_and_alive():
                return conn
            self._forget(conn)

    def _forget(self, conn: pgwire.Connection) -> None:
        with self._lock:
            self._open.discard(conn)
        conn.close()

    def _drop_connections(self) -> None:
        # After a server restart every pooled connection is dead; drop them all at once
        # instead of discovering that one failed scrape at a time. One in use is dropped when
        # its user is done (its generation is old).
        with self._lock:
            self._generation += 1
            idle, self._idle = self._idle, []
        for conn in idle:
            self._forget(conn)

    def _classify(self, exc: BaseException, what: str) -> CollectError:
        detail = redact(_first_line(exc))
        if isinstance(exc, pgwire.PgError):
            state = exc.sqlstate
            if state in _AUTH_STATES:
                return CollectError("auth", f"{self.where} refused the login: {detail}")
            if state == _QUERY_CANCELED:
                return CollectError("timeout", f"{what}: cancelled by statement_timeout at the scrape deadline")
            if state[:2] in _CONNECTION_CLASSES or state == _DATABASE_MISSING:
                return CollectError("connection", f"cannot use {self.where}: {detail}")
            return CollectError("query", f"{what}: {detail}")
        return CollectError("connection", f"cannot reach {self.where}: {detail}")

    def close(self) -> None:
        """Closes every connection at once, waking a thread still blocked on one."""
        with self._lock:
            self._closed = True
            conns, self._open, self._idle = list(self._open), set(), []
        for conn in conns:
            conn.close()


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
    """host:port/dbname for messages, read as the client reads the DSN: never the user or
    password, nor a piece of a password misread as the host or port."""
    try:
        params = Params(dsn)
    except ValueError:
        return "the database"
    return f"PostgreSQL at {params.host}:{params.port}/{params.database}"
