"""GETs to one origin over kept-alive HTTP/1.1 connections: runtime/http11.py over blocking sockets.

Why not aiohttp's client: the collectors that read an HTTP endpoint (TBURN, the sync server's
health, Nectar's dashboard API) need GET, keep-alive, TLS and hard limits on time and size;
aiohttp costs about 17 MB and 90 ms of start-up for that (issue 24).

Limits: the whole exchange (connect, TLS, request, answer) within `timeout`; the body refused
past `max_bytes`, counted after gzip decoding; no redirects followed (a redirect would carry
credentials elsewhere). A failure is an HttpError whose `kind` says which: `timeout`,
`connection` (cannot connect, TLS failure, connection lost before an answer), `payload` (the
body was cut short), `http` (the answer is not valid HTTP/1.1) or `too_large`.

Blocking and thread-safe: collectors call it from their own threads. Every connect, send and
receive carries the socket timeout that remains of `timeout`, so a server that accepts and
then drips (or says nothing) costs at most `timeout`. The host name is resolved by the system
resolver, which takes no timeout: configure an address or a name /etc/hosts resolves when a
slow DNS server matters.
"""
from __future__ import annotations

import socket
import threading
import time
from typing import Any
from lookout.netutil import tcp_connect, urlsplit

from . import http11

_READ = 65536


class HttpError(Exception):
    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


class Answer:
    __slots__ = ("status", "headers", "body")

    def __init__(self, status: int, headers: dict[str, str], body: bytes):
        self.status, self.headers, self.body = status, headers, body


class HttpClient:
    """At most `limit` connections to the origin of `base_url`; idle ones are kept for reuse.

    `tls` is an ssl.SSLContext, or None for the system's default verification on https URLs;
    `verify=False` skips certificate checks (an operator's explicit choice).
    """

    def __init__(self, base_url: str, headers: dict[str, str] | None = None, limit: int = 1,
                 tls: Any = None, verify: bool = True):
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        self.scheme, self.host = parts.scheme, parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.base_path = parts.path
        authority = f"[{self.host}]" if ":" in self.host else self.host
        self.authority = authority if parts.port is None else f"{authority}:{parts.port}"
        self.headers = [("Host", self.authority), ("User-Agent", "lookout"), ("Accept-Encoding", "gzip"),
                        *(headers or {}).items()]
        self.limit = limit
        self._tls, self._verify = tls, verify
        self._lock = threading.Lock()  # guards _idle: threads take and give back connections
        self._idle: list[tuple[socket.socket, http11.Connection]] = []
        self._slots = threading.BoundedSemaphore(limit)

    def get(self, target: str, timeout: float, max_bytes: int, strict: bool = True) -> Answer:
        """GET `target` (a path with optional query, below the base URL's origin); blocks at
        most `timeout` seconds in all, waiting for a free connection included.

        Not strict: an oversized or cut-short body is not an error; what came is returned.
        """
        timeout = max(timeout, 0.001)
        end = time.monotonic() + timeout
        if not self._slots.acquire(timeout=timeout):
            raise HttpError("timeout", f"no complete answer within {timeout:.2f}s")
        try:
            return self._exchange(target, max_bytes, strict, end)
        except TimeoutError:
            raise HttpError("timeout", f"no complete answer within {timeout:.2f}s") from None
        finally:
            self._slots.release()

    def _exchange(self, target: str, max_bytes: int, strict: bool, end: float) -> Answer:
        with self._lock:
            conn = self._idle.pop() if self._idle else None
        reused = conn is not None
        if conn is None:
            conn = self._connect(end)
        try:
            return self._request(conn, target, max_bytes, strict, end)
        except HttpError as exc:
            if reused and getattr(exc, "before_answer", False):
                # The server closed an idle kept-alive connection (or left stray bytes on it):
                # one fresh try, as browsers do.
                return self._request(self._connect(end), target, max_bytes, strict, end)
            raise

    def _connect(self, end: float) -> tuple[socket.socket, http11.Connection]:
        tls = None
        if self.scheme == "https":
            if self._tls is None:
                # Once per client: the default context loads the system's CA bundle (several
                # ms of CPU), not worth paying per connection. Two threads racing here each
                # make one; either serves.
                self._tls = _context(self._verify)
            tls = self._tls
        try:
            sock = tcp_connect(self.host, self.port, _left(end))
        except TimeoutError:
            raise
        except OSError as exc:
            raise HttpError("connection", f"{type(exc).__name__}: {exc}") from None
        try:
            if tls is not None:
                sock.settimeout(_left(end))  # the handshake's deadline
                sock = tls.wrap_socket(sock, server_hostname=self.host)
        except TimeoutError:
            sock.close()
            raise
        except OSError as exc:  # ssl.SSLError and certificate errors are OSErrors too
            sock.close()
            raise HttpError("connection", f"{type(exc).__name__}: {exc}") from None
        return sock, http11.Connection(http11.CLIENT, max_incomplete_event_size=65536)

    def _request(self, c, target: str, max_bytes: int, strict: bool, end: float) -> Answer:
        sock, conn = c
        keep = False
        try:
            path = (self.base_path.rstrip("/") + target) if target.startswith("/") else target
            sock.settimeout(_left(end))
            sock.sendall(conn.send(http11.Request(method="GET", target=path, headers=self.headers))
                         + conn.send(http11.EndOfMessage()))
            answer = self._read(sock, conn, max_bytes, strict, end)
            # Bytes after a complete answer (a 204 with a body) belong to no request: as Go's
            # client does, the answer stands and the connection is not reused.
            keep = conn.our_state is http11.DONE and conn.their_state is http11.DONE and not conn.trailing_data[0]
            if keep:
                conn.start_next_cycle()
            return answer
        except TimeoutError:
            raise
        except OSError as exc:  # ConnectionError, ssl.SSLError
            err = HttpError("connection", f"{type(exc).__name__}: {exc}")
            err.before_answer = conn.their_state is http11.SEND_RESPONSE
            raise err from None
        finally:
            if keep:
                with self._lock:
                    self._idle.append(c)
            else:
                sock.close()

    def _read(self, sock: socket.socket, conn: http11.Connection, max_bytes: int, strict: bool,
              end: float) -> Answer:
        status, headers, chunks, size, inflate, eof = 0, {}, [], 0, None, False
        while True:
            try:
                event = conn.next_event()
            except http11.RemoteProtocolError as exc:
                if status:  # the head arrived: the body is what broke
                    if strict:
                        raise HttpError("payload", f"body cut short ({exc})") from None
                    return Answer(status, headers, b"".join(chunks))
                closed = eof  # the server hung up before its answer's head
                err = HttpError("connection" if closed else "http",
                                "connection closed before an answer" if closed else f"malformed HTTP answer ({exc})")
                err.before_answer = True  # on a reused connection: stale bytes or a hang-up, retried
                raise err from None
            if event is http11.NEED_DATA:
                sock.settimeout(_left(end))
                data = sock.recv(_READ)
                eof = not data
                conn.receive_data(data)
            elif isinstance(event, http11.Response):
                status = event.status_code
                for k, v in event.headers:
                    headers.setdefault(k.decode("latin-1"), v.decode("latin-1"))
                length = headers.get("content-length")
                if length and length.isdigit() and int(length) > max_bytes and not headers.get("content-encoding"):
                    if strict:
                        raise HttpError("too_large", f"body exceeds {max_bytes} bytes")
                    return Answer(status, headers, b"")
                if headers.get("content-encoding", "").lower() in ("gzip", "x-gzip"):
                    import zlib
                    inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
            elif isinstance(event, http11.Data):
                data = event.data
                if inflate is not None:
                    data = inflate.decompress(data, max_bytes + 1 - size)
                size += len(data)
                if size > max_bytes:
                    if strict:
                        raise HttpError("too_large", f"body exceeds {max_bytes} bytes")
                    chunks.append(data[: max_bytes - size + len(data)])
                    return Answer(status, headers, b"".join(chunks))
                chunks.append(data)
            elif isinstance(event, http11.EndOfMessage):
                return Answer(status, headers, b"".join(chunks))
            elif isinstance(event, http11.ConnectionClosed):
                err = HttpError("connection", "connection closed before an answer")
                err.before_answer = True
                raise err

    def close(self) -> None:
        """Close the idle connections (one in use is closed by its exchange)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for sock, _ in idle:
            sock.close()


def _left(end: float) -> float:
    """The seconds left before `end`; TimeoutError once none are."""
    left = end - time.monotonic()
    if left <= 0:
        raise TimeoutError("deadline passed")
    return left


def _context(verify: bool):
    from .lazyssl import load

    ssl = load()
    ctx = ssl.create_default_context()
    if not verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx
