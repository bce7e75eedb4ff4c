"""The Docker daemon as the tick collectors see it: the Engine API's GETs over its unix socket
(or a plain tcp:// address), the chosen containers, and Docker's failures as CollectErrors.

Four read-only endpoints of the Engine API (https://docs.docker.com/engine/api/) are all the
collectors use: /containers/json, /containers/{id}/json, /containers/{id}/stats and
/containers/{id}/logs. They are asked over HTTP/1.1 with runtime/http11.py on blocking sockets, every send
and receive bounded by the caller's timeout, so no Docker SDK (requests, urllib3 and their
imports) is loaded. Paths carry no API version: the daemon answers in its newest, as the
SDK's `version="auto"` did.
"""
from __future__ import annotations

import calendar
import json
import re
import socket
import threading
import time
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from lookout.exporters.runtime.held import held
from lookout.exporters.runtime import http11

from lookout.exporters.runtime import CollectError, Deadline, redact

from .config import DockerConfig

MAX_JSON = 16 * 1024 * 1024  # an answer of list, inspect or stats larger than this is refused
_MAX_IDLE = 4  # kept-alive connections: the collector, the log collector and the stats threads
_CHUNK = 64 * 1024


class DockerError(Exception):
    """Docker answered an error status; `message` is the `message` of its JSON body."""

    def __init__(self, status: int, message: str):
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


class AnswerTooLarge(Exception):
    """The answer went on past the byte cap of its call."""


class DockerDaemon:
    """Shared by the container and log collectors. Thread-safe: each call uses a connection of
    its own (an idle kept-alive one, or a new one), and a connection that failed or timed out
    is closed, never reused."""

    def __init__(self, cfg: DockerConfig):
        self.cfg = cfg
        self.where = cfg.daemon_address()  # for messages: the address as configured
        self._idle: list[socket.socket] = []
        self._lock = threading.Lock()

    # -- the endpoints -------------------------------------------------------------------

    def select(self, deadline: Deadline) -> list[dict]:
        """Container summaries of the chosen containers, by name, capped at max_containers,
        each with its own `name` added."""
        params: dict[str, Any] = {"all": 1}
        if self.cfg.labels:
            labels = [f"{k}={v}" if v else k for k, v in self.cfg.labels.items()]
            params["filters"] = json.dumps({"label": labels})
        found = []
        for summary in self.get_json("/containers/json", self.timeout(deadline), **params):
            name = container_name(summary)
            if self.cfg.containers and name not in self.cfg.containers:
                continue
            found.append({**summary, "name": name})
        found.sort(key=lambda s: s["name"])
        return found[: self.cfg.max_containers]

    def inspect(self, container_id: str, deadline: Deadline) -> dict:
        return self.get_json(f"/containers/{quote(container_id)}/json", self.timeout(deadline))

    def timeout(self, deadline: Deadline) -> float:
        """Seconds one request may take: docker.timeout_seconds, and never past the deadline."""
        return min(self.cfg.timeout_seconds, deadline.remaining())

    # -- HTTP ----------------------------------------------------------------------------

    def get_json(self, path: str, timeout: float, **params) -> Any:
        """The decoded JSON of a GET; DockerError for an error status, ValueError for JSON
        that does not decode (an empty answer too), AnswerTooLarge past MAX_JSON bytes."""
        body, _ = self.get(path, timeout, MAX_JSON, cut=False, **params)
        return json.loads(body)

    def get(self, path: str, timeout: float, cap: int, cut: bool, **params) -> tuple[bytes, bool]:
        """The body of a GET within `timeout` seconds, and whether it was cut: past `cap`
        bytes it is cut there when `cut` (the rest is not read), else AnswerTooLarge. Raises
        DockerError, TimeoutError (socket.timeout), OSError, http11.ProtocolError."""
        target = path + ("?" + urlencode(params) if params else "")
        end = time.monotonic() + timeout
        while True:
            sock, reused = self._connection(end)
            try:
                status, body, keep, was_cut = _exchange(sock, target, end, cap, cut)
            except _Stale:
                sock.close()
                if reused:
                    continue  # the daemon had closed the idle connection: dial a new one
                raise ConnectionResetError("the Docker daemon closed the connection without answering") from None
            except BaseException:
                sock.close()
                raise
            if keep:
                self._put_back(sock)
            else:
                sock.close()
            if status >= 400:
                raise DockerError(status, _message(body))
            return body, was_cut

    def _connection(self, end: float) -> tuple[socket.socket, bool]:
        with self._lock:
            if self._idle:
                return self._idle.pop(), True
        scheme, address = _parse(self.where)
        if scheme == "tcp":
            return socket.create_connection(address, timeout=_left(end)), False
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(_left(end))
            sock.connect(address)
        except BaseException:
            sock.close()
            raise
        return sock, False

    def _put_back(self, sock: socket.socket) -> None:
        with self._lock:
            if len(self._idle) < _MAX_IDLE:
                self._idle.append(sock)
                return
        sock.close()

    def close(self) -> None:
        """Closes the idle connections (after a failure, and at shutdown); harmless twice."""
        with self._lock:
            idle, self._idle = self._idle, []
        for sock in idle:
            sock.close()

    # -- failures ------------------------------------------------------------------------

    def failure(self, exc: BaseException, what: str) -> CollectError:
        """A CollectError for anything a call raised, with the reason Docker gave."""
        if isinstance(exc, CollectError):
            return exc
        if isinstance(exc, DockerError):
            return CollectError("api", f"{what}: Docker answered {exc.status}: {redact(exc.message)[:300]}")
        if isinstance(exc, (ValueError, http11.ProtocolError, AnswerTooLarge)):
            return CollectError("parse", f"{what}: unreadable answer from the Docker daemon: {_first_line(exc)}")
        if isinstance(exc, TimeoutError):  # socket.timeout too
            self.close()
            return CollectError("timeout", f"{what}: the Docker daemon at {self.where} did not answer in time")
        if isinstance(exc, OSError):
            self.close()
            return CollectError("connection", f"{what}: cannot reach the Docker daemon at {self.where}: "
                                              f"{exc.strerror or _first_line(exc)}")
        return CollectError("error", f"{what}: {_first_line(exc)}")


class OneCallAtATime:
    """One run of a collector at a time: a run still waiting for the daemon holds the lock,
    and the next waits for it at most until its own deadline (then fails with `timeout`),
    so a hung daemon costs one thread, not one per scrape, and the collector's state (log
    cursors, pending stats) is changed by one run at a time."""

    def __init__(self, what: str):
        self.what = what
        self._lock = threading.Lock()

    def held(self, deadline: Deadline) -> held:
        return held(self._lock, deadline, f"{self.what}: the previous run is still waiting for the Docker daemon")


class _Stale(Exception):
    """The connection ended before a byte of the answer arrived."""


def _exchange(sock: socket.socket, target: str, end: float, cap: int, cut: bool) -> tuple[int, bytes, bool, bool]:
    """One GET on `sock`: (status, body, whether the connection can be used again, whether
    the body was cut at `cap`)."""
    conn = http11.Connection(http11.CLIENT)
    data = conn.send(http11.Request(method="GET", target=target,
                                 headers=[("Host", "docker"), ("User-Agent", "lookout-ticks")]))
    data += conn.send(http11.EndOfMessage())
    try:
        sock.settimeout(_left(end))
        sock.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        raise _Stale() from None
    status, chunks, total, received = 0, [], 0, False
    while True:
        event = conn.next_event()
        if event is http11.NEED_DATA:
            sock.settimeout(_left(end))
            try:
                data = sock.recv(_CHUNK)
            except ConnectionResetError:
                if received:
                    raise
                raise _Stale() from None
            if not data and not received:
                raise _Stale()
            received = True
            conn.receive_data(data)
        elif isinstance(event, http11.Response):
            status = event.status_code
        elif isinstance(event, http11.Data):
            total += len(event.data)
            chunks.append(event.data)
            if total > cap:
                if not cut:
                    raise AnswerTooLarge(f"the answer to {target.split('?')[0]} is larger than {cap} bytes")
                return status, b"".join(chunks)[:cap], False, True
        elif isinstance(event, http11.EndOfMessage):
            return status, b"".join(chunks), conn.our_state is http11.DONE and conn.their_state is http11.DONE, False
        elif isinstance(event, http11.ConnectionClosed):
            raise http11.RemoteProtocolError("the Docker daemon closed the connection mid-answer")


def _left(end: float) -> float:
    left = end - time.monotonic()
    if left <= 0:
        raise TimeoutError("the Docker daemon did not answer in time")
    return left


def _parse(host: str) -> tuple[str, Any]:
    """("unix", path) or ("tcp", (host, port)); config.py has checked the scheme."""
    if host.startswith("unix://"):
        return "unix", host[len("unix://"):]
    parts = urlsplit(host)
    return "tcp", (parts.hostname or "127.0.0.1", parts.port or 2375)


def _message(body: bytes) -> str:
    """Docker's error text: the `message` of its JSON body, else the body itself."""
    try:
        return str(json.loads(body)["message"])
    except (ValueError, KeyError, TypeError):
        return body[:300].decode("utf-8", "replace").strip()


def _first_line(exc: BaseException) -> str:
    text = str(exc)
    return redact(text.splitlines()[0][:300]) if text else type(exc).__name__


def vanished(exc: BaseException) -> bool:
    """The container was removed (404) or is being removed (409 "dead or marked for
    removal") since it was listed: not a failure, it is just not there any more."""
    return isinstance(exc, DockerError) and exc.status in (404, 409)


def container_name(summary: dict) -> str:
    # Names holds link aliases too ("/web/db"); the container's own name has a single slash.
    names = summary.get("Names") or []
    own = [n for n in names if n.count("/") == 1] or names or [summary.get("Id", "")[:12]]
    return own[0].lstrip("/")


def demultiplexed(raw: bytes) -> bytes:
    """A logs answer as text. A container without a TTY answers in stdcopy frames (stream
    byte 0-2, three zero bytes, a big-endian 4-byte length, the payload): their payloads,
    stdout and stderr in the order sent, an incomplete last frame dropped. A TTY's answer is
    the raw text already (with timestamps on, it starts with a digit, never a stream byte)."""
    if len(raw) < 8 or raw[0] > 2 or raw[1:4] != b"\0\0\0":
        return raw
    out, at = [], 0
    while at + 8 <= len(raw):
        size = int.from_bytes(raw[at + 4:at + 8], "big")
        if at + 8 + size > len(raw):
            break
        out.append(raw[at + 8:at + 8 + size])
        at += 8 + size
    return b"".join(out)


_TS = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$")
_ZERO_TIME = "0001-01-01T00:00:00Z"


def rfc3339_ns(text: str) -> int | None:
    """Nanoseconds since the epoch from Docker's RFC 3339 timestamps (Go's RFC3339Nano),
    exact where a float would round; None for Go's zero time or anything unparseable."""
    m = _TS.match(text)
    if not m or text == _ZERO_TIME:
        return None
    y, mo, d, h, mi, s, frac, tz = m.groups()
    secs = calendar.timegm((int(y), int(mo), int(d), int(h), int(mi), int(s), 0, 0, 0))
    if tz != "Z":
        offset = int(tz[1:3]) * 3600 + int(tz[4:6]) * 60
        secs -= offset if tz[0] == "+" else -offset
    return secs * 1_000_000_000 + int((frac or "").ljust(9, "0"))
