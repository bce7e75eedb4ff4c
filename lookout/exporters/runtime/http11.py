"""HTTP/1.1 framing for the exporters' server and client: the subset of h11's interface they use.

Why not h11 itself: h11's events are dataclasses, so importing it loads dataclasses, inspect,
ast and dis with it, about 1.6-1.9 MB of resident memory (issue 24: the PM2 exporter's budget
is 17 MB). The exporters need much less than a general HTTP/1.1 library: their server answers
GETs, their client sends GETs. This module keeps h11's names and its sans-I/O shape (bytes in,
events out; events in, bytes out), so the server and the client read as they did with h11,
and tests/runtime/test_http11.py checks it against h11 as the reference.

Strict where h11 is lenient, never the other way round: a request or answer this module
accepts is one h11 accepts and parses the same way; some that h11 tolerates are refused here
(obsolete header line folding, a header line with no colon, any Transfer-Encoding but chunked).

Server role: requests are parsed (request line, headers, a Content-Length or chunked body, which
the caller only counts); an HTTP/1.0 request or `Connection: close` ends the connection after its
answer; bytes of a next request that arrive before the answer is sent pause the parser (PAUSED)
until `start_next_cycle`. Client role: a request is one head with no body; the answer's body is
framed by Content-Length, chunked encoding, or the connection's end, and has none for HEAD, 1xx,
204 and 304.
"""
from __future__ import annotations

import re

CLIENT, SERVER = "CLIENT", "SERVER"


class _State:
    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return self.name


IDLE, SEND_BODY, SEND_RESPONSE, DONE, MUST_CLOSE, CLOSED, ERROR = (
    _State(n) for n in ("IDLE", "SEND_BODY", "SEND_RESPONSE", "DONE", "MUST_CLOSE", "CLOSED", "ERROR"))
NEED_DATA, PAUSED = _State("NEED_DATA"), _State("PAUSED")


class ProtocolError(Exception):
    def __init__(self, msg: str, error_status_hint: int = 400):
        super().__init__(msg)
        self.error_status_hint = error_status_hint


class RemoteProtocolError(ProtocolError):
    """The peer broke the protocol; `error_status_hint` is the status to answer with."""


class LocalProtocolError(ProtocolError):
    """This side asked for something the protocol does not allow."""


class Request:
    __slots__ = ("method", "target", "headers", "http_version", "_raw")

    def __init__(self, method, target, headers, http_version=b"1.1"):
        self.method, self.target = _bytes(method), _bytes(target)
        self.http_version = _bytes(http_version)
        if isinstance(headers, _Raw):
            self.headers, self._raw = headers.items, headers.raw
        else:
            self._raw = [(_bytes(k), _bytes(v)) for k, v in headers]
            self.headers = [(k.lower(), v) for k, v in self._raw]


class Response:
    __slots__ = ("status_code", "headers", "reason", "http_version", "_raw")

    def __init__(self, status_code: int, headers, reason=b"", http_version=b"1.1"):
        self.status_code = status_code
        self.reason, self.http_version = _bytes(reason), _bytes(http_version)
        if isinstance(headers, _Raw):
            self.headers, self._raw = headers.items, headers.raw
        else:
            self._raw = [(_bytes(k), _bytes(v)) for k, v in headers]
            self.headers = [(k.lower(), v) for k, v in self._raw]


class Data:
    __slots__ = ("data",)

    def __init__(self, data: bytes):
        self.data = data


class EndOfMessage:
    __slots__ = ()


class ConnectionClosed:
    __slots__ = ()


class _Raw:
    """Parsed headers: lower-cased names (`items`) and as sent (`raw`)."""

    __slots__ = ("items", "raw")

    def __init__(self, raw: list):
        self.raw = raw
        self.items = [(k.lower(), v) for k, v in raw]


def _bytes(value) -> bytes:
    return value.encode("ascii") if isinstance(value, str) else bytes(value)


_TOKEN = rb"[-!#$%&'*+.^_`|~0-9a-zA-Z]+"
_VCHAR_OR_OBS = rb"[\x21-\x7e\x80-\xff]"
_HEADER = re.compile(rb"(" + _TOKEN + rb"):[ \t]*(" + _VCHAR_OR_OBS + rb"(?:[ \t]*" + _VCHAR_OR_OBS
                     + rb")*)?[ \t]*")
_REQUEST_LINE = re.compile(rb"(" + _TOKEN + rb") ([\x21-\x7e]+) HTTP/([0-9]\.[0-9])")
# Compiled at their first use (re's cache): a status line only in the HTTP client's answers, a
# chunk size only in a chunked body; Nectar's exporter reads neither (start-up, issue 24).
_STATUS_LINE = rb"HTTP/([0-9]\.[0-9]) ([0-9]{3})(?: ([\t\x20-\x7e\x80-\xff]*))?"
_CONTENT_LENGTH = re.compile(rb"[0-9]+")
_CHUNK_SIZE = rb"([0-9A-Fa-f]{1,20})[ \t]*(?:;[^\r\n]*)?"
_BLANK_LINE = re.compile(rb"\n\r?\n")


def _head_lines(buf: bytearray, limit: int) -> list[bytes] | None:
    """The lines up to the first blank line, taken out of `buf`; None while it has not come."""
    match = _BLANK_LINE.search(buf)
    if match is None:
        if len(buf) > limit:  # h11's rule: only a head still incomplete past the limit
            raise RemoteProtocolError("Receive buffer too long", 431)
        return None
    head = bytes(buf[: match.end()])
    del buf[: match.end()]
    lines = head.split(b"\n")[:-2]
    return [line[:-1] if line.endswith(b"\r") else line for line in lines]


def _headers(lines: list[bytes]) -> _Raw:
    raw = []
    for line in lines:
        m = _HEADER.fullmatch(line)
        if m is None:
            raise RemoteProtocolError("malformed header line")
        raw.append((m.group(1), m.group(2) or b""))
    return _Raw(raw)


def _values(headers: list, name: bytes) -> list[bytes]:
    """Comma-separated values of every `name` header, lower-cased and stripped."""
    out = []
    for k, v in headers:
        if k == name:
            out.extend(p.strip().lower() for p in v.split(b",") if p.strip())
    return out


def _framing(headers: list) -> tuple[str, int]:
    """("chunked", 0), ("length", n) or ("none", 0) from a message's own headers, validated as
    h11 validates them: one Transfer-Encoding header, exactly `chunked` (else 501); every
    Content-Length the same number of at most 20 digits."""
    chunked, length = False, None
    for k, v in headers:
        if k == b"transfer-encoding":
            if chunked:
                raise RemoteProtocolError("multiple Transfer-Encoding headers", 501)
            if v.lower() != b"chunked":
                raise RemoteProtocolError("Only Transfer-Encoding: chunked is supported", 501)
            chunked = True
        elif k == b"content-length":
            values = {p.strip() for p in v.split(b",")}
            if len(values) != 1:
                raise RemoteProtocolError("conflicting Content-Length headers")
            (value,) = values
            if not _CONTENT_LENGTH.fullmatch(value) or len(value) > 20:
                raise RemoteProtocolError("bad Content-Length")
            if length is not None and length != value:
                raise RemoteProtocolError("conflicting Content-Length headers")
            length = value
    if length is not None or chunked:  # as h11 normalizes them in its events: one Content-Length
        normal, seen = [], False
        for k, v in headers:
            if k == b"content-length":
                if seen:
                    continue
                seen, v = True, length
            elif k == b"transfer-encoding":
                v = v.lower()
            normal.append((k, v))
        headers[:] = normal
    if chunked:
        return "chunked", 0
    return ("none", 0) if length is None else ("length", int(length))


def _keep_alive(version: bytes, headers: list) -> bool:
    return version == b"1.1" and b"close" not in _values(headers, b"connection")


class Connection:
    """One HTTP/1.1 connection's state, in the role `our_role` (CLIENT or SERVER)."""

    def __init__(self, our_role: str, max_incomplete_event_size: int = 16384):
        self.our_role = our_role
        self._limit = max_incomplete_event_size
        self._buf = bytearray()
        self._eof = False
        self._reset()

    def _reset(self) -> None:
        self.our_state = IDLE
        self.their_state = IDLE
        self._keep = True
        self._body: str = "none"      # framing of the message being received
        self._left = 0                # bytes left of a length-framed body or of the current chunk
        self._chunk = "size"          # chunked: "size", "data", "crlf", "trailer"
        self._method = b""            # the request's method (the client's own, the server's peer's)

    # --- receiving ---------------------------------------------------------------

    @property
    def trailing_data(self) -> tuple[bytes, bool]:
        return bytes(self._buf), self._eof

    def receive_data(self, data: bytes) -> None:
        if data:
            if self._eof:
                raise RuntimeError("received data after the end of the stream")
            self._buf += data
        else:
            self._eof = True

    def next_event(self):
        try:
            return self._next_event()
        except RemoteProtocolError:
            self.their_state = ERROR
            raise

    def _next_event(self):
        state = self.their_state
        if state is DONE or state is MUST_CLOSE:
            if self._buf:
                if state is MUST_CLOSE:
                    raise RemoteProtocolError("data after the last message of the connection")
                return PAUSED
            if self._eof:
                self.their_state = CLOSED
                return ConnectionClosed()
            return NEED_DATA
        if state is CLOSED:
            return ConnectionClosed()
        if state is ERROR:
            raise RemoteProtocolError("the connection is in an error state")
        if state is IDLE or state is SEND_RESPONSE:
            return self._head()
        return self._body_event()

    def _head(self):
        if self.our_role == CLIENT and self.our_state is IDLE:
            raise LocalProtocolError("no request sent yet")
        lines = _head_lines(self._buf, self._limit)
        if lines is None:
            if self._eof:
                if self._buf or self.their_state is SEND_RESPONSE:
                    raise RemoteProtocolError("connection closed before a complete message")
                return self._closed()
            return NEED_DATA
        if self.our_role == SERVER:
            return self._request(lines)
        return self._response(lines)

    def _closed(self):
        self.their_state = CLOSED
        return ConnectionClosed()

    def _request(self, lines: list[bytes]):
        m = _REQUEST_LINE.fullmatch(lines[0]) if lines else None
        if m is None:
            raise RemoteProtocolError("malformed request line")
        method, target, version = m.groups()
        if version not in (b"1.0", b"1.1"):
            raise RemoteProtocolError("unsupported HTTP version", 505)
        headers = _headers(lines[1:])
        hosts = [v for k, v in headers.items if k == b"host"]
        if version == b"1.1" and len(hosts) != 1:
            raise RemoteProtocolError("Missing mandatory Host: header" if not hosts else "Found multiple Host: headers")
        body, self._left = _framing(headers.items)
        self._body = "length" if body == "none" else body
        self._keep = _keep_alive(version, headers.items)
        self._method = method
        self.their_state = SEND_BODY
        self.our_state = SEND_RESPONSE
        return Request(method, target, headers, version)

    def _response(self, lines: list[bytes]):
        m = re.fullmatch(_STATUS_LINE, lines[0]) if lines else None
        if m is None:
            raise RemoteProtocolError("malformed status line")
        version, status, reason = m.group(1), int(m.group(2)), m.group(3) or b""
        headers = _headers(lines[1:])
        if status < 200:
            if status == 101:
                raise RemoteProtocolError("switching protocols is not supported")
            return self._head()  # an informational answer: the real one follows
        body, self._left = _framing(headers.items)
        if self._method == b"HEAD" or status in (204, 304):
            body, self._left = "length", 0
        elif body == "none":
            body = "close"  # h11's states too: DONE at its end, then CLOSED (the caller sees the EOF)
        self._body = body
        if not _keep_alive(version, headers.items):
            self._keep = False
            if self.our_state is DONE:
                self.our_state = MUST_CLOSE
        self.their_state = SEND_BODY
        return Response(status, headers, reason, version)

    def _body_event(self):
        if self._body == "length":
            if self._left == 0:
                return self._end()
            if not self._buf:
                if self._eof:
                    raise RemoteProtocolError("connection closed before the body ended")
                return NEED_DATA
            data = bytes(self._buf[: self._left])
            del self._buf[: len(data)]
            self._left -= len(data)
            return Data(data)
        if self._body == "close":
            if self._buf:
                data = bytes(self._buf)
                self._buf.clear()
                return Data(data)
            return self._end() if self._eof else NEED_DATA
        return self._chunked()

    def _chunked(self):
        while True:
            if self._chunk == "data":
                if not self._buf:
                    break
                data = bytes(self._buf[: self._left])
                del self._buf[: len(data)]
                self._left -= len(data)
                if self._left == 0:
                    self._chunk = "crlf"
                return Data(data)
            if self._chunk == "crlf":  # exactly CRLF after a chunk's data (h11 0.16, CVE-2025-43859)
                if len(self._buf) < 2:
                    break
                if self._buf[:2] != b"\r\n":
                    raise RemoteProtocolError("missing CRLF after a chunk")
                del self._buf[:2]
                self._chunk = "size"
                continue
            # A chunk-size line ends in CRLF (as h11 finds it); a trailer line may end in LF alone.
            end = self._buf.find(b"\r\n" if self._chunk == "size" else b"\n")
            if end < 0:
                if len(self._buf) > self._limit:
                    raise RemoteProtocolError("chunk header too long", 431)
                break
            line = bytes(self._buf[:end])
            del self._buf[: end + (2 if self._chunk == "size" else 1)]
            if self._chunk != "size" and line.endswith(b"\r"):
                line = line[:-1]
            if self._chunk == "size":
                m = re.fullmatch(_CHUNK_SIZE, line)
                if m is None:
                    raise RemoteProtocolError("malformed chunk size")
                self._left = int(m.group(1), 16)
                self._chunk = "data" if self._left else "trailer"
            else:  # trailer lines until the blank one; trailers are not used here
                if not line:
                    self._chunk = "size"
                    return self._end()
                if _HEADER.fullmatch(line) is None:
                    raise RemoteProtocolError("malformed trailer line")
        if self._eof:
            raise RemoteProtocolError("connection closed in the middle of a chunked body")
        return NEED_DATA

    def _end(self):
        self.their_state = DONE if self._keep else MUST_CLOSE
        return EndOfMessage()

    # --- sending -----------------------------------------------------------------

    def send(self, event) -> bytes:
        if isinstance(event, Response):
            # IDLE too: the answer to a request that could not be parsed (a 400), as h11 allows.
            if self.our_role != SERVER or self.our_state not in (IDLE, SEND_RESPONSE):
                raise LocalProtocolError("cannot send a response now")
            if self.our_state is IDLE:
                self._keep = False
            return self._send_response(event)
        if isinstance(event, Request):
            if self.our_role != CLIENT or self.our_state is not IDLE:
                raise LocalProtocolError("cannot send a request now")
            self._method = event.method
            self.our_state = SEND_BODY
            self.their_state = SEND_RESPONSE
            self._keep = b"close" not in _values(event.headers, b"connection")
            if not any(k == b"host" for k, _ in event.headers):
                raise LocalProtocolError("Missing mandatory Host: header")
            return b"%s %s HTTP/1.1\r\n%s\r\n" % (event.method, event.target, _format(event._raw))
        if isinstance(event, Data):
            if self.our_state is not SEND_BODY:
                raise LocalProtocolError("cannot send data now")
            if self._out_left is not None:
                self._out_left -= len(event.data)
                if self._out_left < 0:
                    raise LocalProtocolError("more data than Content-Length")
            return bytes(event.data)
        if isinstance(event, EndOfMessage):
            if self.our_state is not SEND_BODY:
                raise LocalProtocolError("cannot end a message now")
            if self.our_role == SERVER and self._out_left:
                raise LocalProtocolError("less data than Content-Length")
            self.our_state = DONE if self._keep else MUST_CLOSE
            return b""
        raise LocalProtocolError(f"cannot send {type(event).__name__}")

    _out_left: int | None = None

    def _send_response(self, event: Response) -> bytes:
        raw = list(event._raw)
        if b"close" in _values(event.headers, b"connection"):
            self._keep = False
        elif not self._keep:
            raw.append((b"Connection", b"close"))
        lengths = [v for k, v in event.headers if k == b"content-length"]
        if not lengths:
            raise LocalProtocolError("a response needs Content-Length here")
        self._out_left = 0 if self._method == b"HEAD" else int(lengths[0])
        self.our_state = SEND_BODY
        return b"HTTP/1.1 %d %s\r\n%s\r\n" % (event.status_code, event.reason, _format(raw))

    def start_next_cycle(self) -> None:
        if self.our_state is not DONE or self.their_state is not DONE:
            raise LocalProtocolError("not in a reusable state")
        self._out_left = None
        self._reset()


def _format(headers: list) -> bytes:
    for k, v in headers:
        if not re.fullmatch(_TOKEN, k) or b"\r" in v or b"\n" in v or b"\0" in v:
            raise LocalProtocolError("illegal header")
    return b"".join(b"%s: %s\r\n" % (k, v) for k, v in headers)
