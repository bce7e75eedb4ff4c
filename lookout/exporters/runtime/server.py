"""The exporter's HTTP/1.1 server: h11 over asyncio streams, TLS per connection, until SIGTERM.

Why not aiohttp: it costs about 17 MB of resident memory and 90 ms of start-up (issue 24),
for an exporter that answers four GET paths. h11 is the protocol state machine only (parsing,
framing, keep-alive), so this module owns the connection's life:

- web-config per connection: `web_config()` is asked on each new connection (it re-reads the
  file when it changed, as exporter-toolkit does), and TLS is started with the context it gives;
- idle and slow clients: a connection that does not deliver a complete request within
  `idle_timeout` (at the start, the TLS handshake, or between keep-alive requests) is closed,
  and so is one that does not read its answer within it;
- malformed requests (bad framing, a header line past 8190 bytes, headers past 16 KiB) get a
  400 and are closed, logged at debug without their bytes (a credential may be in them);
- SIGTERM or SIGINT: stop listening, let answers in progress finish for a second, close the
  backends, and end the process within `exit_within` seconds whatever is stuck.
"""
from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

import h11

from lookout.netutil import exit_after

log = logging.getLogger("lookout.http")

MAX_LINE = 8190      # aiohttp's and many servers' limit on one request or header line
MAX_HEAD = 16384     # the whole request head
_MAX_BODY = 65536    # a GET carries no body; more than this and the connection is closed


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names; the first of repeated headers
    client: str              # the peer's address: the unit of fairness for bcrypt checks
    web: Any                 # the WebConfig this connection was accepted under


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)


Handler = Callable[[Request], Awaitable[Response]]


class Server:
    """Serves `handler` on (host, port); see the module docstring for the connection rules."""

    def __init__(self, handler: Handler, web_config: Callable[[], Any], idle_timeout: float = 30.0):
        self.handler = handler
        self.web_config = web_config
        self.idle_timeout = idle_timeout
        self._connections: set[asyncio.Task] = set()
        self._busy: set[asyncio.Task] = set()
        self._server: asyncio.base_events.Server | None = None

    async def start(self, host: str, port: int) -> tuple:
        """Listen; returns the bound (host, port). OSError when the address cannot be bound."""
        self._server = await asyncio.start_server(self._connection, host or None, port, backlog=512,
                                                  limit=MAX_HEAD)
        return self._server.sockets[0].getsockname()[:2]

    async def stop(self, grace: float) -> None:
        """Stop listening, give answers in progress `grace` seconds, then drop every connection."""
        if self._server is not None:
            self._server.close()
        idle = self._connections - self._busy
        for task in idle:
            task.cancel()
        if self._busy:
            await asyncio.wait(self._busy, timeout=grace)
        for task in list(self._connections):
            task.cancel()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self._connections.add(task)
        clean = False
        try:
            await self._serve(reader, writer)
            clean = True
        except (ConnectionError, TimeoutError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        except OSError as exc:  # TLS handshake failures (ssl.SSLError) among others
            log.debug("connection dropped", extra={"fields": {"err": type(exc).__name__}})
        finally:
            self._connections.discard(task)
            self._busy.discard(task)
            if clean:
                writer.close()  # everything written was drained: a FIN after the answer
            else:
                writer.transport.abort()  # idle, slow or gone: free the descriptor now

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        web = self.web_config()
        peer = writer.get_extra_info("peername")
        client = peer[0] if peer else ""
        if web.ssl_context is not None:
            await writer.start_tls(web.ssl_context, ssl_handshake_timeout=self.idle_timeout)
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD)
        while True:
            try:
                async with asyncio.timeout(self.idle_timeout):
                    request = await self._read_request(conn, reader)
            except h11.RemoteProtocolError as exc:
                log.debug("malformed request", extra={"fields": {"client": client, "err": type(exc).__name__}})
                if conn.our_state in (h11.IDLE, h11.SEND_RESPONSE):
                    await self._send(conn, writer, "GET", Response(400, b"Bad Request\n", _TEXT), close=True)
                return
            if request is None:
                return
            method, path, headers = request
            self._busy.add(asyncio.current_task())
            try:
                response = await self.handler(Request(method, path, headers, client, web))
            finally:
                self._busy.discard(asyncio.current_task())
            await self._send(conn, writer, method, response)
            if conn.our_state is not h11.DONE or conn.their_state is not h11.DONE:
                return
            conn.start_next_cycle()

    async def _read_request(self, conn: h11.Connection, reader: asyncio.StreamReader):
        """(method, path, headers) of the next complete request, or None when the client left."""
        head, body = None, 0
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                data = await reader.read(65536)
                conn.receive_data(data)  # b"" is the end of the stream
                continue
            if isinstance(event, h11.Request):
                if len(event.target) > MAX_LINE or any(len(k) + len(v) + 2 > MAX_LINE for k, v in event.headers):
                    raise h11.RemoteProtocolError("request line or header too long", error_status_hint=400)
                headers: dict[str, str] = {}
                for name, value in event.headers:
                    headers.setdefault(name.decode("latin-1"), value.decode("latin-1"))
                path = event.target.split(b"?", 1)[0].decode("latin-1")
                head = (event.method.decode("latin-1"), path, headers)
            elif isinstance(event, h11.Data):
                body += len(event.data)
                if body > _MAX_BODY:
                    raise h11.RemoteProtocolError("request body too large", error_status_hint=413)
            elif isinstance(event, h11.EndOfMessage):
                return head
            elif isinstance(event, h11.ConnectionClosed) or event is h11.PAUSED:
                return None

    async def _send(self, conn: h11.Connection, writer: asyncio.StreamWriter, method: str, response: Response,
                    close: bool = False) -> None:
        headers = [*response.headers, ("Content-Length", str(len(response.body)))]
        if close:
            headers.append(("Connection", "close"))
        data = conn.send(h11.Response(status_code=response.status, headers=headers,
                                      reason=_REASONS.get(response.status, b"")))
        if response.body and method != "HEAD":
            data += conn.send(h11.Data(data=response.body))
        data += conn.send(h11.EndOfMessage())
        writer.write(data)
        async with asyncio.timeout(self.idle_timeout):  # a client that does not read is dropped
            await writer.drain()


_TEXT = [("Content-Type", "text/plain; charset=utf-8")]
_REASONS = {200: b"OK", 400: b"Bad Request", 401: b"Unauthorized", 404: b"Not Found",
            405: b"Method Not Allowed", 413: b"Content Too Large"}


async def serve_until_signalled(server: Server, host: str, port: int,
                                on_listening: Callable[[tuple], None] | None = None,
                                on_stop: Callable[[], Awaitable[None]] | None = None,
                                on_reload: Callable[[], None] | None = None,
                                exit_within: float = 4.0) -> None:
    """Serve until SIGTERM or SIGINT (SIGHUP calls `on_reload`), then stop as the module says."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if on_reload is not None:
        loop.add_signal_handler(signal.SIGHUP, on_reload)
    bound = await server.start(host, port)
    if on_listening:
        on_listening(bound)
    await stop.wait()
    exit_after(exit_within)
    try:
        async with asyncio.timeout(exit_within * 0.75):
            await server.stop(min(1.0, exit_within / 4))
            if on_stop:
                await on_stop()
    except TimeoutError:
        pass  # the watchdog ends the process; nothing else is worth waiting for
