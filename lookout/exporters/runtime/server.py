"""The exporter's HTTP/1.1 server: runtime/http11.py on a `selectors` loop, requests answered on threads.

Why not aiohttp or asyncio: aiohttp costs about 17 MB of resident memory and 90 ms of start-up,
asyncio about 2 MB and 25 ms (issue 24), for an exporter that answers four GET paths. http11 is the
protocol state machine only (parsing, framing, keep-alive), so this module owns the
connection's life:

- one thread (the caller's, `serve_until_signalled`: the main thread) runs the loop: it accepts
  connections, does their TLS handshakes and reads their request heads, all non-blocking, so an
  idle keep-alive connection costs a descriptor and no thread;
- a complete request is handed to a request thread (idle ones are reused; at most
  `max_threads` run at once, further requests wait in order for one, each at most
  `idle_timeout`, then get a 503), which calls the handler and renders the answer; the loop
  writes it, non-blocking, and then reads the connection's next request. Why the loop writes:
  a client that does not read its answers would otherwise hold a request thread for up to
  `idle_timeout`, and 64 of them every other request (a scrape) with them. While an answer is
  unsent, the connection's further (pipelined) requests are not read, as h11's PAUSED: one
  answer per connection is held at most;
- a request carries its arrival time (`Request.arrived`): a scrape's deadline counts from it,
  not from the moment a thread was free;
- a request thread that cannot be started (RuntimeError: a pids cgroup limit) gets its request
  a 503 with Retry-After, and the loop goes on;
- web-config per connection: `web_config()` is asked on each new connection (it re-reads the
  file when it changed, as exporter-toolkit does), and TLS is started with the context it gives;
- idle and slow clients: a connection that does not deliver a complete request within
  `idle_timeout` (at the start, the TLS handshake, or between keep-alive requests) is closed,
  and so is one that does not read its whole answer within it (with a reset). Each connection
  has at most one entry in the timer heap, moved on lazily when it pops before its time;
- malformed requests (bad framing, a header line past 8190 bytes, headers past 16 KiB) get a
  400 and are closed, logged at debug without their bytes (a credential may be in them);
- SIGTERM or SIGINT: stop listening, let answers in progress finish for a second, close the
  backends, and end the process within `exit_within` seconds whatever is stuck.
"""
from __future__ import annotations

import errno
import heapq
import itertools
import selectors
import signal
import socket
import time
from collections import deque
from lookout.records import record, field
TYPE_CHECKING = False  # typing's own flag, without importing typing (issue 24: start-up)
if TYPE_CHECKING:
    from typing import Any, Callable

from . import http11

from lookout.netutil import exit_after, wire_host

from .logs import get_logger
from .threads import Runner

log = get_logger("lookout.http")

MAX_LINE = 8190      # aiohttp's and many servers' limit on one request or header line
MAX_HEAD = 16384     # the whole request head
_MAX_BODY = 65536    # a GET carries no body; more than this and the connection is closed
BACKLOG = 512
MAX_THREADS = 64     # request threads at once; more requests wait for one (in arrival order)


@record
class Request:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names; the first of repeated headers
    client: str              # the peer's address: the unit of fairness for bcrypt checks
    web: Any                 # the WebConfig this connection was accepted under
    arrived: float = field(default_factory=time.monotonic)  # time.monotonic() when it was read whole


@record
class Response:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)


if TYPE_CHECKING:
    Handler = Callable[[Request], Response]

# A connection's phases in the loop: _QUEUED waits for a request thread, _BUSY is on one,
# _WRITING has its answer (`out`) being written by the loop.
_HANDSHAKE, _READING, _QUEUED, _BUSY, _WRITING = "handshake", "reading", "queued", "busy", "writing"


class _Conn:
    __slots__ = ("sock", "parser", "web", "client", "phase", "expires", "timed", "events", "out", "keep", "method")

    def __init__(self, sock: socket.socket, web: Any, client: str):
        self.sock = sock
        self.parser = http11.Connection(http11.SERVER, max_incomplete_event_size=MAX_HEAD)
        self.web, self.client = web, client
        self.phase = _READING
        self.expires = 0.0
        self.timed = False  # it has its (one) entry in the timer heap
        self.events = 0  # the selector events it is registered for (0: not registered)
        self.out: bytes | memoryview | None = None  # the unsent tail of its answer (_WRITING)
        self.keep = False  # read the next request once `out` is sent (else close)
        self.method = "GET"  # the method of the request being answered (HEAD: no body)


class Server:
    """Serves `handler` on (host, port); see the module docstring for the connection rules.

    `listen` binds; `serve` runs the loop on the calling thread until `stop()` (thread-safe)
    or, under `serve_until_signalled`, a signal."""

    def __init__(self, handler: Handler, web_config: Callable[[], Any], idle_timeout: float = 30.0,
                 max_threads: int = MAX_THREADS):
        self.handler = handler
        self.web_config = web_config
        self.idle_timeout = idle_timeout
        self.max_threads = max_threads
        self._threads = Runner("http", max_idle=max_threads)  # request threads, reused
        self._sel = selectors.DefaultSelector()
        self._listener: socket.socket | None = None
        self._conns: set[_Conn] = set()
        self._timers: list[tuple[float, int, _Conn]] = []  # (time, seq, conn): a lazy heap, one entry per conn
        self._seq = itertools.count()
        self._accept_paused_until = 0.0  # out of descriptors: accept again at this time
        self._back: deque[tuple[_Conn, bytes | None, bool]] = deque()  # from request threads: (conn, answer, keep)
        self._busy = 0  # requests being answered on a thread (the loop's count: no lock)
        self._waiting: deque[tuple[_Conn, Request]] = deque()  # complete requests waiting for a thread
        self._thread_warned = False  # "cannot start a request thread" is logged once
        self._wake_r, self._wake_w = socket.socketpair()
        for s in (self._wake_r, self._wake_w):
            s.setblocking(False)
        self._sel.register(self._wake_r, selectors.EVENT_READ, None)
        self._stopping = False
        self.on_signal: Callable[[int], None] | None = None
        self._signals: deque[int] = deque()

    # -- the loop ------------------------------------------------------------------------------

    def listen(self, host: str, port: int) -> tuple:
        """Bind and listen; returns the bound (host, port). OSError when the address cannot be bound."""
        infos = socket.getaddrinfo(wire_host(host) if host else None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _, address = infos[0]
        sock = socket.socket(family, kind, proto)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6 and not host:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            sock.bind(address)
            sock.listen(BACKLOG)
        except OSError:
            sock.close()
            raise
        sock.setblocking(False)
        self._listener = sock
        self._sel.register(sock, selectors.EVENT_READ, "listener")
        return sock.getsockname()[:2]

    def wake(self) -> None:
        """Make the loop look at its queues now (any thread; a signal handler's write is the same)."""
        try:
            self._wake_w.send(b"\0")
        except (BlockingIOError, OSError):
            pass  # the loop has wake-ups pending already

    def stop(self) -> None:
        """Ask the loop (from any thread) to stop listening and return once answers finished."""
        self._signals.append(signal.SIGTERM)
        self.wake()

    @property
    def wakeup_fd(self) -> int:
        return self._wake_w.fileno()

    def serve(self, grace: float = 1.0) -> None:
        """Run the loop until a stop; then close idle connections, give answers in progress
        `grace` seconds, and drop what is left."""
        stop_by: float | None = None
        while True:
            now = time.monotonic()
            timeout = self._expire(now)
            if stop_by is not None:
                if (self._busy == 0 and not any(c.phase is _WRITING for c in self._conns)) or now >= stop_by:
                    break
                timeout = min(timeout, stop_by - now) if timeout is not None else stop_by - now
            if self._accept_paused_until and now >= self._accept_paused_until and self._listener is not None:
                self._accept_paused_until = 0.0
                self._sel.register(self._listener, selectors.EVENT_READ, "listener")
            elif self._accept_paused_until and self._listener is not None:
                left = self._accept_paused_until - now
                timeout = left if timeout is None else min(timeout, left)
            for key, _ in self._sel.select(timeout):
                if key.data is None:
                    self._drain_wakeups()
                elif key.data == "listener":
                    self._accept()
                else:
                    self._ready(key.data)
            while self._back:
                conn, data, keep = self._back.popleft()
                self._busy -= 1
                if self._waiting:
                    self._start_waiting()
                self._respond(conn, data, keep)
            while self._signals:
                sig = self._signals.popleft()
                if sig == signal.SIGHUP:
                    if self.on_signal:
                        self.on_signal(sig)
                    continue
                if stop_by is None:
                    stop_by = time.monotonic() + grace
                    self._stop_listening()
                    if self.on_signal:
                        self.on_signal(sig)
        for conn in list(self._conns):
            self._close(conn)
        self._threads.close()

    def close(self) -> None:
        """Release the listener and the wake-up sockets (after `serve` returned, or instead of it)."""
        self._stop_listening()
        for conn in list(self._conns):
            self._close(conn)
        self._sel.close()
        self._wake_r.close()
        self._wake_w.close()

    def _stop_listening(self) -> None:
        self._stopping = True
        if self._listener is not None:
            try:
                self._sel.unregister(self._listener)
            except (KeyError, ValueError):
                pass  # paused after EMFILE
            self._listener.close()
            self._listener = None
        for conn in list(self._conns):  # idle ones go now; busy ones when their answer is written
            if conn.phase not in (_QUEUED, _BUSY, _WRITING):
                self._close(conn)

    def _drain_wakeups(self) -> None:
        try:
            self._wake_r.recv(4096)  # what is left (rarely) wakes the loop once more
        except (BlockingIOError, InterruptedError):
            pass

    def _expire(self, now: float) -> float | None:
        """Close connections past their time (a queued request gets a 503); seconds until the
        next entry is due (None: none)."""
        timers = self._timers
        while timers:
            at, _, conn = timers[0]
            if at > now:
                return at - now
            heapq.heappop(timers)
            if conn.phase is None:  # closed meanwhile
                conn.timed = False
            elif conn.expires > at:  # re-armed since: the entry moves on to the new time
                heapq.heappush(timers, (conn.expires, next(self._seq), conn))
            else:
                conn.timed = False
                if conn.phase is _BUSY:  # on a thread: armed again when its answer is back
                    continue
                log.debug("connection timed out", extra={"fields": {"client": conn.client, "phase": conn.phase}})
                if conn.phase is _QUEUED:  # waited a whole idle_timeout for a thread
                    self._respond(conn, _render(conn.parser, conn.method, _UNAVAILABLE, close=True), False)
                else:
                    self._close(conn, abort=True)
        return None

    def _arm(self, conn: _Conn) -> None:
        """`conn` expires `idle_timeout` from now; its one heap entry is pushed if it has none."""
        conn.expires = time.monotonic() + self.idle_timeout
        if not conn.timed:
            conn.timed = True
            heapq.heappush(self._timers, (conn.expires, next(self._seq), conn))

    def _watch(self, conn: _Conn, events: int) -> None:
        if conn.events == events:
            return
        if conn.events:
            self._sel.modify(conn.sock, events, conn)
        else:
            self._sel.register(conn.sock, events, conn)
        conn.events = events

    def _unwatch(self, conn: _Conn) -> None:
        if conn.events:
            try:
                self._sel.unregister(conn.sock)
            except (KeyError, ValueError):
                pass
            conn.events = 0

    def _accept(self) -> None:
        for _ in range(64):  # a burst of connections, without starving the others
            try:
                sock, peer = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    # Out of descriptors: the backlog keeps the connections; without this pause
                    # the listener stays readable and the loop spins. Idle ones expire meanwhile.
                    log.warning("accept paused", extra={"fields": {"err": exc.strerror}})
                    self._sel.unregister(self._listener)
                    self._accept_paused_until = time.monotonic() + 1.0
                return
            sock.setblocking(False)
            try:
                web = self.web_config()
            except Exception as exc:  # the source keeps the last good one; never lose the loop
                log.error("web config unavailable", extra={"fields": {"err": str(exc)}})
                sock.close()
                continue
            client = peer[0] if isinstance(peer, tuple) and peer else ""
            if web.ssl_context is not None:
                try:
                    sock = web.ssl_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
                except OSError as exc:
                    log.debug("connection dropped", extra={"fields": {"err": type(exc).__name__}})
                    sock.close()
                    continue
            conn = _Conn(sock, web, client)
            conn.phase = _HANDSHAKE if web.ssl_context is not None else _READING
            self._conns.add(conn)
            self._arm(conn)
            self._ready(conn)

    def _ready(self, conn: _Conn) -> None:
        """The connection's socket is ready (or may be): go on with its handshake or request."""
        try:
            if conn.phase == _HANDSHAKE:
                if not self._handshake(conn):
                    return
                conn.phase = _READING
                self._arm(conn)  # the request has its own idle_timeout, as before
            if conn.phase == _READING:
                self._read(conn)
            elif conn.phase == _WRITING:
                self._write(conn)
        except http11.RemoteProtocolError as exc:
            log.debug("malformed request", extra={"fields": {"client": conn.client, "err": type(exc).__name__}})
            if conn.parser.our_state in (http11.IDLE, http11.SEND_RESPONSE):
                try:
                    conn.sock.send(_render(conn.parser, "GET", Response(400, b"Bad Request\n", _TEXT), close=True))
                except OSError:
                    pass
            self._close(conn)
        except OSError as exc:  # resets, and TLS failures (ssl.SSLError is an OSError)
            if not isinstance(exc, ConnectionError):
                log.debug("connection dropped", extra={"fields": {"err": type(exc).__name__}})
            self._close(conn, abort=True)

    def _handshake(self, conn: _Conn) -> bool:
        import ssl  # loaded already: this connection's web-config has a TLS context
        try:
            conn.sock.do_handshake()
        except ssl.SSLWantReadError:
            self._watch(conn, selectors.EVENT_READ)
            return False
        except ssl.SSLWantWriteError:
            self._watch(conn, selectors.EVENT_WRITE)
            return False
        return True

    def _recv(self, conn: _Conn) -> bytes | None:
        """Bytes now available (b"" at the end of the stream), or None: wait for the socket."""
        try:
            return conn.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            self._watch(conn, selectors.EVENT_READ)
            return None
        except OSError as exc:
            name = type(exc).__name__
            if name == "SSLWantReadError":
                self._watch(conn, selectors.EVENT_READ)
                return None
            if name == "SSLWantWriteError":
                self._watch(conn, selectors.EVENT_WRITE)
                return None
            raise

    def _read(self, conn: _Conn) -> None:
        """Parse what has arrived; a complete request goes to a request thread. http11's errors
        (RemoteProtocolError) and the socket's propagate to `_ready`."""
        p = conn.parser
        body = 0
        head = None
        while True:
            event = p.next_event()
            if event is http11.NEED_DATA:
                data = self._recv(conn)
                if data is None:
                    return
                p.receive_data(data)  # b"" is the end of the stream
                continue
            if isinstance(event, http11.Request):
                if len(event.target) > MAX_LINE or any(len(k) + len(v) + 2 > MAX_LINE for k, v in event.headers):
                    raise http11.RemoteProtocolError("request line or header too long", error_status_hint=400)
                headers: dict[str, str] = {}
                for name, value in event.headers:
                    headers.setdefault(name.decode("latin-1"), value.decode("latin-1"))
                path = event.target.split(b"?", 1)[0].decode("latin-1")
                head = (event.method.decode("latin-1"), path, headers)
            elif isinstance(event, http11.Data):
                body += len(event.data)
                if body > _MAX_BODY:
                    raise http11.RemoteProtocolError("request body too large", error_status_hint=413)
            elif isinstance(event, http11.EndOfMessage):
                self._dispatch(conn, head)
                return
            else:  # ConnectionClosed, or PAUSED (the client sent after closing its side)
                self._close(conn)
                return

    def _dispatch(self, conn: _Conn, head: tuple) -> None:
        self._unwatch(conn)
        method, path, headers = head
        request = Request(method, path, headers, conn.client, conn.web, time.monotonic())
        conn.method = method
        if self._busy >= self.max_threads:
            conn.phase = _QUEUED
            self._arm(conn)  # a whole idle_timeout without a thread: a 503 (`_expire`)
            self._waiting.append((conn, request))
        else:
            self._start(conn, request)

    def _start_waiting(self) -> None:
        """The oldest request still waiting for a thread (one whose time ran out is gone) starts."""
        while self._waiting and self._busy < self.max_threads:
            conn, request = self._waiting.popleft()
            if conn.phase is _QUEUED:
                self._start(conn, request)
                return

    def _start(self, conn: _Conn, request: Request) -> None:
        conn.phase = _BUSY
        self._busy += 1
        try:
            self._threads.start(lambda: self._answer(conn, request), self.wake)
        except RuntimeError as exc:  # "can't start new thread": a pids limit; the loop goes on
            self._busy -= 1
            if not self._thread_warned:
                self._thread_warned = True
                log.warning("cannot start a request thread: answering 503", extra={"fields": {"err": str(exc)}})
            self._respond(conn, _render(conn.parser, request.method, _UNAVAILABLE, close=True), False)

    def _respond(self, conn: _Conn, data: bytes | None, keep: bool) -> None:
        """Write `data` (None: the request failed, drop the connection), then read the next
        request (`keep`) or close; the whole answer within `idle_timeout`."""
        if data is None or conn.phase is None:
            self._close(conn, abort=True)
            return
        conn.phase, conn.out, conn.keep = _WRITING, data, keep
        if not self._write(conn):  # most answers fit the send buffer: one send, no timer
            self._arm(conn)

    def _write(self, conn: _Conn) -> bool:
        """Send what the socket takes now; False: the rest waits for the socket (the selector)."""
        out = conn.out
        try:
            while out:
                sent = conn.sock.send(out)
                out = memoryview(out)[sent:] if sent < len(out) else None
        except (BlockingIOError, InterruptedError):
            conn.out = out
            self._watch(conn, selectors.EVENT_WRITE)
            return False
        except OSError as exc:
            name = type(exc).__name__  # TLS wants the socket ready first: retry the same bytes then
            if name in ("SSLWantWriteError", "SSLWantReadError"):
                conn.out = out
                self._watch(conn, selectors.EVENT_WRITE if name == "SSLWantWriteError" else selectors.EVENT_READ)
                return False
            log.debug("connection dropped", extra={"fields": {"client": conn.client, "err": name}})
            self._close(conn, abort=True)
            return True
        conn.out = None
        self._returned(conn, conn.keep)
        return True

    def _returned(self, conn: _Conn, keep: bool) -> None:
        """`conn`'s answer is written: keep it for the next request (True) or close it (False)."""
        if not keep or self._stopping:
            self._close(conn)
            return
        conn.parser.start_next_cycle()
        conn.phase = _READING
        self._arm(conn)
        pending = getattr(conn.sock, "pending", None)  # TLS: bytes decrypted already
        if conn.parser.trailing_data[0] or (pending is not None and pending()):
            self._ready(conn)  # a pipelined request is waiting
        else:
            try:
                self._watch(conn, selectors.EVENT_READ)
            except (OSError, ValueError):  # closed by the client meanwhile
                self._close(conn, abort=True)

    def _close(self, conn: _Conn, abort: bool = False) -> None:
        """Close `conn`; `abort`: at once with a reset, so the kernel neither keeps sending what
        an idle or non-reading client left in the send buffer nor holds its memory."""
        self._unwatch(conn)
        self._conns.discard(conn)
        conn.phase, conn.out = None, None
        try:
            if abort:
                conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _RESET)
            conn.sock.close()
        except OSError:
            pass

    # -- on a request thread -------------------------------------------------------------------

    def _answer(self, conn: _Conn, request: Request) -> None:
        """The handler's answer rendered, handed to the loop to write (None: drop the connection)."""
        data, keep = None, False
        try:
            response = self.handler(request)
            data = _render(conn.parser, request.method, response)
            keep = conn.parser.our_state is http11.DONE and conn.parser.their_state is http11.DONE  # else Connection: close
        except http11.LocalProtocolError as exc:
            log.debug("connection dropped", extra={"fields": {"client": conn.client, "err": type(exc).__name__}})
        except Exception:
            log.exception("request failed", extra={"fields": {"path": request.path}})
            # The client (Prometheus) then reads "server returned HTTP status 500", not a reset.
            try:
                data, keep = _render(conn.parser, request.method, _INTERNAL_ERROR, close=True), False
            except http11.LocalProtocolError:  # part of an answer was rendered already: drop
                data = None
        finally:
            self._back.append((conn, data, keep))  # the loop is woken once this thread is free again


def _render(conn: http11.Connection, method: str, response: Response, close: bool = False) -> bytes:
    headers = [*response.headers, ("Content-Length", str(len(response.body)))]
    if close:
        headers.append(("Connection", "close"))
    data = conn.send(http11.Response(status_code=response.status, headers=headers,
                                  reason=_REASONS.get(response.status, b"")))
    if response.body and method != "HEAD":
        data += conn.send(http11.Data(data=response.body))
    return data + conn.send(http11.EndOfMessage())


_RESET = (1).to_bytes(4, "little") + (0).to_bytes(4, "little")  # struct linger {l_onoff 1, l_linger 0}
_TEXT = [("Content-Type", "text/plain; charset=utf-8")]
_REASONS = {200: b"OK", 400: b"Bad Request", 401: b"Unauthorized", 404: b"Not Found",
            405: b"Method Not Allowed", 413: b"Content Too Large", 500: b"Internal Server Error",
            503: b"Service Unavailable"}
_UNAVAILABLE = Response(503, b"Service Unavailable\n", [*_TEXT, ("Retry-After", "1")])
_INTERNAL_ERROR = Response(500, b"Internal Server Error\n", _TEXT)


def serve_until_signalled(server: Server, host: str, port: int,
                          on_listening: Callable[[tuple], None] | None = None,
                          on_stop: Callable[[], None] | None = None,
                          on_reload: Callable[[], None] | None = None,
                          exit_within: float = 4.0) -> None:
    """Serve on the calling (main) thread until SIGTERM or SIGINT (SIGHUP calls `on_reload` on
    the loop's thread), then stop as the module says. OSError when the address cannot be bound."""
    def handler(sig, _frame):  # runs on the main thread between two bytecodes; the loop acts
        server._signals.append(sig)

    def on_signal(sig: int) -> None:
        if sig == signal.SIGHUP:
            if on_reload is not None:
                on_reload()
        else:
            exit_after(exit_within)

    server.on_signal = on_signal
    previous_fd = signal.set_wakeup_fd(server.wakeup_fd, warn_on_full_buffer=False)
    watched = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
    previous = {sig: signal.signal(sig, handler) for sig in watched}
    try:
        bound = server.listen(host, port)
        if on_listening:
            on_listening(bound)
        server.serve(grace=min(1.0, exit_within / 4))
        if on_stop:
            on_stop()
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
        signal.set_wakeup_fd(previous_fd)
        server.close()


__all__ = ["MAX_HEAD", "MAX_LINE", "Request", "Response", "Server", "serve_until_signalled"]
