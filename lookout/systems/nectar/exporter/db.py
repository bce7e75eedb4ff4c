"""A small bounded pool of PyMySQL connections to TiDB (or MySQL/MariaDB standing in for it).

Imported by the package's build(), once the configuration is read: with `ssl_mode: disabled`
the runtime imports PyMySQL without `ssl` and OpenSSL's hashes (lazyssl.only_if).

Every statement carries a server-side time limit derived from the scrape deadline, so a
slow query is stopped by the database itself and not left running after the scrape gave up.
"""
from __future__ import annotations

import os
import re
import socket
import sys
import threading
from types import ModuleType


class _StandIn(ModuleType):
    """Module `name` in sys.modules while PyMySQL is imported (`with _StandIn(name, **attrs):`),
    for a module PyMySQL binds at its import but uses only on paths Nectar rarely or never takes
    (issue 24: about 5 ms of start-up together). PyMySQL keeps the stand-in: `attrs` are its
    own, and any other attribute read imports the real module (a plain import: sys.modules gets
    the real one back after the `with`) and gives the real module's. Another importer of the
    module meanwhile gets the stand-in, afterwards the real module.

    A module whose attributes PyMySQL reads at its import (`from decimal import Decimal`, the
    hash constructors it binds, getpass.getuser() for its DEFAULT_USER) is imported whole there,
    as before: a stand-in would only move that import.
    """

    def __init__(self, name: str, **attrs):
        super().__init__(name)
        self.__dict__.update(attrs)

    def __enter__(self) -> None:
        self.__absent = self.__name__ not in sys.modules
        if self.__absent:
            sys.modules[self.__name__] = self

    def __exit__(self, *exc_info) -> None:
        if self.__absent and sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]

    def __getattr__(self, attr: str):
        if attr.startswith("__") and attr.endswith("__"):
            # The import system's own questions (`__path__`: is it a package?) are not a use.
            raise AttributeError(attr)
        if sys.modules.get(self.__name__) is self:  # read inside the `with`: the real one from now on
            del sys.modules[self.__name__]
        __import__(self.__name__)
        return getattr(sys.modules[self.__name__], attr)


class _OptionFileParser:
    """What PyMySQL's connections.py gets as `pymysql.optionfile.Parser` (a
    configparser.RawConfigParser for my.cnf files): `Parser()` makes the real one, importing
    pymysql.optionfile and configparser then. PyMySQL 1.2.4's Connection makes one only for
    `read_default_file` or `read_default_group`, which Nectar never passes; importing
    configparser (its classes, nine regular expressions) is about 3 ms of start-up."""

    def __new__(cls, *args, **kwargs):
        from pymysql.optionfile import Parser
        return Parser(*args, **kwargs)


# traceback (with linecache and tokenize, about 2.5 ms): PyMySQL's connect() calls
# traceback.format_exc() when a connection fails with an OSError (a failed TLS handshake; the
# TCP connect is _open_socket's), and nothing else.
with _StandIn("traceback"), _StandIn("pymysql.optionfile", Parser=_OptionFileParser):
    import pymysql
from pymysql.constants import COMMAND, CR

from lookout.netutil import tcp_connect

from lookout.exporters.runtime.held import held
from lookout.exporters.runtime import Backoff, CollectError, ConfigError, Deadline, redact
from lookout.exporters.runtime.logs import get_logger
from lookout.exporters.runtime.shared import SharedCall

from .config import DatabaseConfig

TYPE_CHECKING = False  # typing's own flag, without importing typing (issue 24: start-up)
if TYPE_CHECKING:
    import ssl
    from typing import Any, Callable, NoReturn

log = get_logger("lookout.nectar.db")

# The ping's connections, apart from database.pool_size's: one, and a second so that a ping
# stuck under a long deadline (a dead connection) does not blind shorter scrapes meanwhile.
PING_CONNECTIONS = 2
# How far past the deadline a statement's socket timeout lies: the server's time limit fires
# first, and the run comes back this much after the runtime gave up on it at the latest.
CLIENT_MARGIN_SECONDS = 0.25

# COM_STATISTICS' answer (mysqladmin status), MariaDB and MySQL sql/sql_parse.cc: "Uptime: %lu
# Threads: ...", the uptime `thd->start_time - server_start_time`, as the Uptime status variable.
_STATISTICS_UPTIME = re.compile(rb"Uptime: ([0-9]+)")

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
    """Connections to one server, used by the collectors' own threads (the runtime runs each
    collector's `collect` on a thread of its own), one thread per connection at a time.

    Data statements use at most `pool_size` connections at once: a statement that finds them
    all busy waits for one until the deadline, then fails with reason `timeout`. The ping has
    connections of its own (PING_CONNECTIONS), so a probe of reachability never queues behind
    statements blocked by a lock or a long scan (runbook 000: lock contention is not "down").
    Idle connections wait in lock-guarded lists.

    Each phase has its own bound: TCP connect, the greeting, TLS and authentication each
    wait at most `connect_timeout_seconds` (cut to the deadline) per read or write, since
    PyMySQL's `connect_timeout` covers only the TCP connect and the read timeout applies
    from the greeting on; every statement carries a server-side time limit (what the deadline
    leaves) and a client-side socket timeout just past it, set before each statement. A run
    the runtime gave up on comes back on that socket timeout; a connection that failed or
    timed out is closed, never reused. A kept connection the server had closed (a restart) is
    replaced once by a new one within the same deadline.
    """

    def __init__(self, cfg: DatabaseConfig):
        self.cfg = cfg
        self._ssl = ssl_context(cfg)  # built once: a bad CA path fails at start, not per scrape
        # Guards the idle lists, the backoff and the last failure (collectors run on threads).
        self._lock = threading.Lock()
        self._idle: list[pymysql.connections.Connection] = []
        self._ping_idle: list[pymysql.connections.Connection] = []
        self._slots = threading.BoundedSemaphore(cfg.pool_size)
        self._ping_slots = threading.BoundedSemaphore(PING_CONNECTIONS)
        self._status = SharedCall()  # the ping's one exchange per collection (its Deadline)
        self._closed = False
        self.backoff = Backoff(initial=0.5, maximum=cfg.reconnect_max_backoff_seconds)
        self.flavour: Flavour | None = None
        self.last_error = ""
        # The reason of the failure being paced: while the backoff holds, a wrong CA stays
        # `tls` and a refused login `auth`, not whatever "not retried yet" would say.
        self.last_reason = "connection"

    def ping(self, deadline: Deadline) -> None:
        """Whether the server answers at all (what `nectar_up` means): `uptime`'s exchange.
        Raises CollectError (connection, tls, auth, timeout)."""
        self.uptime(deadline)

    def uptime(self, deadline: Deadline) -> int | None:
        """The server's uptime in seconds from COM_STATISTICS on MariaDB and MySQL (None when the
        answer has no `Uptime:`), or None on TiDB, which gets a COM_PING (its uptime is a query,
        and its COM_PING also says whether it is shutting down). Like COM_PING, COM_STATISTICS
        needs no privilege, touches no table (so no lock holds it up) and is not counted in
        `Questions`; unlike `information_schema.GLOBAL_STATUS`, the server does not build its
        whole status table for it (0.02 against 0.3 ms of the server's CPU, issue 24).

        One exchange per collection on the ping's connections, shared by every caller with the
        same `deadline` (the ping and the server collectors of one collection). Raises
        CollectError (connection, tls, auth, timeout)."""
        return self._status.get(deadline, lambda: self._exchange(
            self._ping_slots, self._ping_idle, f"the ping's {PING_CONNECTIONS} connections busy",
            deadline, self._statistics, self._ping_failed), deadline.remaining())

    def _statistics(self, conn: pymysql.connections.Connection) -> int | None:
        if self.flavour is not None and self.flavour.name == "tidb":
            conn.ping(reconnect=False)
            return None
        # PyMySQL has no call for COM_STATISTICS; these are the two its own ping() makes. An
        # error packet raises from _read_packet as a statement's would.
        conn._execute_command(COMMAND.COM_STATISTICS, b"")
        found = _STATISTICS_UPTIME.search(conn._read_packet().get_all_data())
        return int(found.group(1)) if found else None

    def query(self, sql: "str | Callable[[Flavour], str]", deadline: Deadline, args: tuple = ()) -> list[tuple]:
        """The rows of one statement; `sql` may depend on the server's flavour, known once
        connected. Raises CollectError (connection, tls, auth, timeout, query)."""
        def run(conn: pymysql.connections.Connection) -> list[tuple]:
            with conn.cursor() as cur:
                text = sql(self.flavour) if callable(sql) else sql
                cur.execute(self.flavour.limited(text, deadline), args or None)
                return list(cur.fetchall())
        return self._exchange(self._slots, self._idle, f"all {self.cfg.pool_size} connections (database.pool_size) busy",
                              deadline, run, self._query_failed)

    def _exchange(self, slots: threading.BoundedSemaphore, idle: list, busy: str, deadline: Deadline,
                  work: Callable[[pymysql.connections.Connection], Any],
                  failed: Callable[[pymysql.connections.Connection, list, pymysql.err.MySQLError], NoReturn]) -> Any:
        """`work(conn)` on a kept connection of `idle` or a new one, within one of `slots`."""
        self._paced()
        with held(slots, deadline, f"database: {busy} until the deadline"):
            self._paced()  # again: a call that failed while this one waited started a backoff
            conn = self._take(idle)
            kept = conn is not None
            if not kept:
                conn = self._connect(deadline)
            while True:
                try:
                    # PyMySQL re-reads the timeouts before every packet; the client-side limit
                    # backs up the server-side one if the server ignores it.
                    _set_timeouts(conn, deadline)
                    result = work(conn)
                except pymysql.err.MySQLError as exc:
                    if kept and _dropped(exc):
                        # The server closed this kept connection meanwhile (it restarted, a
                        # timeout of its own): that says nothing of now, so once more on a new
                        # one. Only COM_PING, COM_STATISTICS and SELECTs are sent: asking twice is harmless.
                        _close(conn)
                        kept = False
                        conn = self._connect(deadline)
                        continue
                    failed(conn, idle, exc)
                except BaseException:
                    _close(conn)
                    raise
                self._up()
                self._give_back(conn, idle)
                return result

    def _ping_failed(self, conn: pymysql.connections.Connection, idle: list, exc: pymysql.err.MySQLError) -> NoReturn:
        _close(conn)
        self._down(exc)  # no answer to a ping, even a slow one, is "down"
        raise CollectError(_reason(exc), f"database unreachable: {redact(_message(exc))}") from None

    def _query_failed(self, conn: pymysql.connections.Connection, idle: list, exc: pymysql.err.MySQLError) -> NoReturn:
        if isinstance(exc, pymysql.err.OperationalError):
            _close(conn)
            code = exc.args[0] if exc.args else 0
            if code in (1969, 3024, 1317, 8175):  # statement time limit hit / query interrupted
                raise CollectError("timeout", f"query stopped by the server's time limit: {redact(str(exc))}") from None
            if _timed_out(exc):
                # A server that accepted the statement and is slow (a lock, a long scan) is
                # not down: the ping says whether it answers. This connection is given up.
                raise CollectError("timeout", f"no answer to the query in time: {redact(_message(exc))}") from None
            self._down(exc)
            raise CollectError(_reason(exc), f"database unreachable: {redact(_message(exc))}") from None
        if isinstance(exc, pymysql.err.InterfaceError):
            _close(conn)
            self._down(exc)
            raise CollectError("connection", f"database connection lost: {redact(str(exc))}") from None
        self._give_back(conn, idle)  # the statement failed, the connection is fine
        raise CollectError("query", f"query failed: {redact(str(exc))}") from None

    def _paced(self) -> None:
        """Refuse without touching the server while the reconnect backoff holds."""
        with self._lock:
            if self.backoff.ready():
                return
            wait, reason, error = self.backoff.seconds_until_ready(), self.last_reason, self.last_error
        raise CollectError(reason, f"database unreachable, retrying in {wait:.1f}s (last error: {error})")

    def _connect(self, deadline: Deadline) -> pymysql.connections.Connection:
        cfg = self.cfg
        phase = max(min(cfg.connect_timeout_seconds, deadline.remaining()), 0.1)
        try:
            conn = pymysql.connections.Connection(
                host=cfg.host, port=cfg.port, user=cfg.user, password=cfg.password.reveal(),
                database=cfg.database or None, charset="utf8mb4",
                connect_timeout=phase, read_timeout=phase, write_timeout=phase,
                # Without autocommit, InnoDB would show every later SELECT the same old snapshot.
                autocommit=True,
                ssl=self._ssl, ssl_disabled=self._ssl is None,
                defer_connect=True,  # connected below, on a socket opened by _open_socket
            )
            conn.host_info = "socket %s:%d" % (cfg.host, cfg.port)  # what connect() says for a socket it opens
            conn.connect(_open_socket(cfg.host, cfg.port, phase))
        except pymysql.err.MySQLError as exc:
            self._down(exc)
            raise CollectError(_reason(exc), f"cannot connect to {cfg.host}:{cfg.port}: {redact(_message(exc))}") from None
        self.flavour = Flavour(conn.get_server_info())
        with self._lock:
            again = self.backoff.failures > 0
        if again:
            log.info("database reachable again", extra={"fields": {"host": cfg.host, "flavour": self.flavour.name}})
        return conn

    def _up(self) -> None:
        with self._lock:
            self.backoff.succeeded()

    def _down(self, exc: BaseException) -> None:
        error, reason = redact(_message(exc)), _reason(exc)
        with self._lock:
            self.last_error, self.last_reason = error, reason
            delay = self.backoff.failed()
            idle = self._idle + self._ping_idle  # the others are just as dead
            self._idle.clear()
            self._ping_idle.clear()
        log.warning("database unreachable", extra={"fields": {
            "host": self.cfg.host, "port": self.cfg.port, "err": error, "retry_in": f"{delay:.1f}s"}})
        for conn in idle:
            _close(conn)

    def _take(self, idle: list) -> pymysql.connections.Connection | None:
        with self._lock:
            return idle.pop() if idle else None

    def _give_back(self, conn: pymysql.connections.Connection, idle: list) -> None:
        with self._lock:
            if not self._closed:
                idle.append(conn)
                return
        _close(conn)  # a run that came back after close()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle = self._idle + self._ping_idle
            self._idle.clear()
            self._ping_idle.clear()
        for conn in idle:
            _close(conn)


def _open_socket(host: str, port: int, timeout: float) -> socket.socket:
    """A TCP connection to the server, as PyMySQL 1.2.4's Connection.connect() opens one
    (socket.create_connection within `timeout` seconds, then TCP_NODELAY and SO_KEEPALIVE), but
    by `lookout.netutil.tcp_connect`, with the host as `wire_host` gives it: PyMySQL passes the str, for
    which socket loads the idna codec (stringprep, unicodedata: about 2 ms of the first
    connection, issue 24). An OSError (refused, unreachable, unknown host, timed out) raises what
    PyMySQL raises for it: OperationalError 2003, "Can't connect to MySQL server on 'host' (...)".
    """
    try:
        return tcp_connect(host, port, timeout, keepalive=True)
    except OSError as e:
        raise pymysql.err.OperationalError(CR.CR_CONN_HOST_ERROR, f"Can't connect to MySQL server on {host!r} ({e})") from None


def _set_timeouts(conn: pymysql.connections.Connection, deadline: Deadline) -> None:
    """The socket timeout of each read and write of the next exchange: what the deadline leaves,
    plus a margin so the server's own time limit (a precise reason, the connection kept) wins."""
    conn._read_timeout = conn._write_timeout = max(deadline.remaining(), 0.05) + CLIENT_MARGIN_SECONDS


def _dropped(exc: BaseException) -> bool:
    """The server had closed the connection before this exchange: gone away (2006), lost (2013),
    closed for inactivity (4031, MySQL 8); not a timeout, which is a slow server's answer."""
    if isinstance(exc, pymysql.err.InterfaceError):
        return True  # PyMySQL: the socket is already closed
    code = exc.args[0] if exc.args else 0
    return isinstance(exc, pymysql.err.OperationalError) and code in (2006, 2013, 4031) and not _timed_out(exc)


def _timed_out(exc: BaseException) -> bool:
    return "timed out" in _message(exc).lower()


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
