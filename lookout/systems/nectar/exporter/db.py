"""A small bounded pool of PyMySQL connections to TiDB (or MySQL/MariaDB standing in for it).

Imported by the package's build(), once the configuration is read: with `ssl_mode: disabled`
the runtime imports PyMySQL without `ssl` and OpenSSL's hashes (lazyssl.only_if).

Every statement carries a server-side time limit derived from the scrape deadline, so a
slow query is stopped by the database itself and not left running after the scrape gave up.
"""
from __future__ import annotations

import logging
import os
import threading
from typing import TYPE_CHECKING, Callable

import pymysql

from lookout.exporters.runtime import Backoff, BlockingPool, CollectError, ConfigError, Deadline, redact

from .config import DatabaseConfig

if TYPE_CHECKING:
    import ssl

log = logging.getLogger("lookout.nectar.db")

# Where Debian, Ubuntu and Alpine keep the system CA bundle, if Python's defaults find none.
_SYSTEM_BUNDLES = ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem")


def ssl_context(cfg: DatabaseConfig) -> ssl.SSLContext | None:
    if cfg.ssl_mode == "disabled":
        return None
    import ssl  # only with TLS: the exporter's build() imported PyMySQL without it otherwise

    if cfg.ssl_mode == "required":
        # Encrypted but unverified, like mysql --ssl-mode=REQUIRED.
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    else:
        try:
            ctx = ssl.create_default_context(cafile=cfg.ssl_ca or None)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError("database.ssl_ca", f"cannot load CA file {cfg.ssl_ca}: {exc}") from None
        if not cfg.ssl_ca and not ctx.get_ca_certs():
            # PyMySQL would silently skip verification without a CA; we insist on one.
            bundle = next((p for p in _SYSTEM_BUNDLES if os.path.exists(p)), None)
            if bundle is None:
                raise ConfigError("database.ssl_ca", "ssl_mode asks for verification but no system CA bundle was found")
            ctx.load_verify_locations(bundle)
        ctx.check_hostname = cfg.ssl_mode == "verify_identity"
        ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if cfg.ssl_cert:
        try:
            ctx.load_cert_chain(cfg.ssl_cert, cfg.ssl_key)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError("database.ssl_cert", f"cannot load the client certificate and key: {exc}") from None
    return ctx


class Flavour:
    """What dialect of time limit and system tables the server speaks."""

    def __init__(self, server_version: str):
        v = server_version.lower()
        self.name = "tidb" if "tidb" in v else "mariadb" if "mariadb" in v else "mysql"

    def limited(self, sql: str, deadline: Deadline) -> str:
        if self.name == "mariadb":
            seconds = max(deadline.remaining_ms(), 10) / 1000
            return f"SET STATEMENT max_statement_time={seconds:.3f} FOR {sql}"
        # TiDB and MySQL: the optimizer hint goes right after SELECT.
        assert sql.startswith("SELECT ")
        return f"SELECT /*+ MAX_EXECUTION_TIME({max(deadline.remaining_ms(), 10)}) */ {sql[7:]}"


class Database:
    """Connections to one server, used only on this backend's own BlockingPool.

    Each phase has its own bound: TCP connect, the greeting, TLS and authentication each
    wait at most `connect_timeout_seconds` (cut to the deadline) per read or write, since
    PyMySQL's `connect_timeout` covers only the TCP connect and the read timeout applies
    from the greeting on; every statement carries a server-side time limit and a client-side
    read timeout just past it. A call the scrape gave up on is abandoned: its connection is
    closed when the thread comes back and never reused.

    The ping runs on a thread and a connection of its own, so a probe of reachability never
    queues behind statements blocked by a lock or a long scan.
    """

    def __init__(self, cfg: DatabaseConfig):
        self.cfg = cfg
        self._ssl = ssl_context(cfg)  # built once: a bad CA path fails at start, not per scrape
        self._idle: list[pymysql.connections.Connection] = []
        self._ping_idle: list[pymysql.connections.Connection] = []
        self._lock = threading.Lock()
        self.pool = BlockingPool(f"database {cfg.host}:{cfg.port}", cfg.pool_size)
        self.ping_pool = BlockingPool(f"database {cfg.host}:{cfg.port} ping", 1)
        self.backoff = Backoff(initial=0.5, maximum=cfg.reconnect_max_backoff_seconds)
        self.flavour: Flavour | None = None
        self.last_error = ""
        # The reason of the failure being paced: while the backoff holds, a wrong CA stays
        # `tls` and a refused login `auth`, not whatever "not retried yet" would say.
        self.last_reason = "connection"

    async def ping(self, deadline: Deadline) -> None:
        """A MySQL COM_PING: whether the server answers at all (what `nectar_up` means)."""
        await self._call(self._ping, deadline, pool=self.ping_pool)

    async def query(self, sql: "str | Callable[[Flavour], str]", deadline: Deadline, args: tuple = ()) -> list[tuple]:
        """Run one statement; `sql` may depend on the server's flavour, known once connected."""
        return await self._call(self._query, deadline, sql, args)

    async def _call(self, fn, deadline: Deadline, *args, pool: BlockingPool | None = None):
        if not self.backoff.ready():
            raise CollectError(self.last_reason, f"database unreachable, retrying in {self.backoff.seconds_until_ready():.1f}s"
                                             f" (last error: {self.last_error})")
        call = _Call()
        try:
            return await (pool or self.pool).run(fn, deadline, call, *args, timeout=deadline.remaining())
        except CollectError as exc:
            if exc.reason == "timeout":
                call.abandoned = True  # the thread closes its connection when it comes back
                raise CollectError("timeout", "the database did not answer before the scrape deadline") from None
            raise

    def _ping(self, deadline: Deadline, call: "_Call") -> None:
        conn = self._take(self._ping_idle)
        try:
            if conn is None:
                conn = self._connect(deadline)
            _set_timeouts(conn, max(deadline.remaining(), 0.05) + 0.5)
            conn.ping(reconnect=False)
        except pymysql.err.MySQLError as exc:
            self._discard(conn)
            self._down(exc)
            raise CollectError(_reason(exc), f"database unreachable: {redact(_message(exc))}") from None
        except BaseException:
            self._discard(conn)
            raise
        self.backoff.succeeded()
        self._give_back(conn, call, self._ping_idle)

    def _query(self, deadline: Deadline, call: "_Call", sql, args: tuple) -> list[tuple]:
        conn = self._take()
        try:
            if conn is None:
                conn = self._connect(deadline)
            # PyMySQL re-reads the timeouts before every packet; the client-side limit
            # backs up the server-side one if the server ignores it.
            _set_timeouts(conn, max(deadline.remaining(), 0.05) + 0.5)
            with conn.cursor() as cur:
                text = sql(self.flavour) if callable(sql) else sql
                cur.execute(self.flavour.limited(text, deadline), args or None)
                rows = list(cur.fetchall())
        except CollectError:
            raise  # from _connect, already accounted for
        except pymysql.err.OperationalError as exc:
            self._discard(conn)
            code = exc.args[0] if exc.args else 0
            if code in (1969, 3024, 1317, 8175):  # statement time limit hit / query interrupted
                raise CollectError("timeout", f"query stopped by the server's time limit: {redact(str(exc))}") from None
            if _timed_out(exc):
                # A server that accepted the statement and is slow (a lock, a long scan) is
                # not down: the ping says whether it answers. This connection is given up.
                raise CollectError("timeout", f"no answer to the query in time: {redact(_message(exc))}") from None
            self._down(exc)
            raise CollectError(_reason(exc), f"database unreachable: {redact(_message(exc))}") from None
        except pymysql.err.InterfaceError as exc:
            self._discard(conn)
            self._down(exc)
            raise CollectError("connection", f"database connection lost: {redact(str(exc))}") from None
        except pymysql.err.MySQLError as exc:
            self._give_back(conn, call)
            raise CollectError("query", f"query failed: {redact(str(exc))}") from None
        except BaseException:
            self._discard(conn)
            raise
        self.backoff.succeeded()
        self._give_back(conn, call)
        return rows

    def _connect(self, deadline: Deadline) -> pymysql.connections.Connection:
        cfg = self.cfg
        phase = max(min(cfg.connect_timeout_seconds, deadline.remaining()), 0.1)
        try:
            conn = pymysql.connect(
                host=cfg.host, port=cfg.port, user=cfg.user, password=cfg.password.reveal(),
                database=cfg.database or None, charset="utf8mb4",
                connect_timeout=phase, read_timeout=phase, write_timeout=phase,
                # Without autocommit, InnoDB would show every later SELECT the same old snapshot.
                autocommit=True,
                ssl=self._ssl, ssl_disabled=self._ssl is None,
            )
        except pymysql.err.MySQLError as exc:
            self._down(exc)
            raise CollectError(_reason(exc), f"cannot connect to {cfg.host}:{cfg.port}: {redact(_message(exc))}") from None
        self.flavour = Flavour(conn.get_server_info())
        if self.backoff.failures:
            log.info("database reachable again", extra={"fields": {"host": cfg.host, "flavour": self.flavour.name}})
        return conn

    def _down(self, exc: BaseException) -> None:
        self.last_error = redact(_message(exc))
        self.last_reason = _reason(exc)
        delay = self.backoff.failed()
        log.warning("database unreachable", extra={"fields": {
            "host": self.cfg.host, "port": self.cfg.port, "err": self.last_error, "retry_in": f"{delay:.1f}s"}})
        self._close_idle()  # the others are just as dead

    def _close_idle(self) -> None:
        with self._lock:
            idle = self._idle + self._ping_idle
            self._idle.clear()
            self._ping_idle.clear()
        for conn in idle:
            _close(conn)

    def _take(self, idle: list | None = None):
        idle = self._idle if idle is None else idle
        with self._lock:
            return idle.pop() if idle else None

    def _give_back(self, conn, call: "_Call", idle: list | None = None) -> None:
        if call.abandoned:
            _close(conn)
            return
        with self._lock:
            (self._idle if idle is None else idle).append(conn)

    def _discard(self, conn) -> None:
        if conn is not None:
            _close(conn)

    async def close(self) -> None:
        self._close_idle()
        self.pool.close()  # the threads waiting for a next call end
        self.ping_pool.close()


def _set_timeouts(conn, seconds: float) -> None:
    conn._read_timeout = conn._write_timeout = seconds


def _timed_out(exc: BaseException) -> bool:
    return "timed out" in _message(exc).lower()


class _Call:
    abandoned = False


def _close(conn) -> None:
    try:
        conn.close()
    except Exception:  # already broken; nothing to tell
        pass


def _message(exc: BaseException) -> str:
    args = getattr(exc, "args", ())
    if len(args) >= 2 and isinstance(args[0], int):
        return f"({args[0]}) {args[1]}"
    return str(exc) or type(exc).__name__


def _reason(exc: BaseException) -> str:
    text = _message(exc).lower()
    if "timed out" in text:
        return "timeout"
    if "ssl" in text or "certificate" in text or "tls" in text:
        return "tls"
    if isinstance(exc, pymysql.err.OperationalError) and exc.args and exc.args[0] in (1045, 1044, 1698):
        return "auth"
    return "connection"
