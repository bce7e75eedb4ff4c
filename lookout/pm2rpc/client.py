"""A minimal client for the PM2 daemon's RPC socket: one `getMonitorData` call, no child process.

PM2's own client (lib/Client.js) starts a fresh, empty daemon when the socket does not
answer; that would hide the outage and take memory the host does not have. Here an
absent or refusing socket is simply "daemon down".
"""
from __future__ import annotations

import asyncio
import functools
import itertools
import mmap
import os
import socket
from typing import Any, Callable

from lookout.exporters.runtime import CollectError

from . import amp


# Replies at least this large are read into a mapping of their own (_readexactly).
_OWN_MAPPING = 256 * 1024


class DaemonDown(CollectError):
    def __init__(self, message: str):
        super().__init__("connection", message)


class RpcClient:
    def __init__(self, socket_path: str):
        self.socket_path = socket_path
        # Message ids only have to be unique per connection; PM2's own use "<pid>:<n>".
        self._ids = itertools.count()
        self._identity = f"lookout-{os.getpid()}"

    async def call(self, method: str, arg: Any, timeout: float,
                   decode: Callable[[memoryview], Any] | None = None) -> list[Any]:
        """The reply's `args` list (what the daemon passed to its callback after `err`).

        `decode` reads the reply body's JSON (amp.unpack): a caller that needs a few fields of
        a large reply decodes only those; it must keep `error` and `args`."""
        try:
            async with asyncio.timeout(timeout):
                return await self._call(method, arg, decode)
        except TimeoutError:
            raise CollectError("timeout", f"PM2 daemon did not answer {method} within {timeout:.2f}s "
                                          f"on {self.socket_path}") from None

    async def _call(self, method: str, arg: Any, decode: Callable[[memoryview], Any] | None) -> list[Any]:
        loop = asyncio.get_running_loop()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.setblocking(False)
        try:
            try:
                await loop.sock_connect(sock, self.socket_path)
            except FileNotFoundError:
                raise DaemonDown(f"PM2 daemon down: no socket at {self.socket_path}") from None
            except ConnectionRefusedError:
                raise DaemonDown(f"PM2 daemon down: {self.socket_path} refused the connection "
                                 "(stale socket)") from None
            except PermissionError:
                raise CollectError("permission", f"no permission to open {self.socket_path}; run the exporter "
                                                 "as the PM2 user or in its group") from None
            except OSError as exc:
                raise DaemonDown(f"PM2 daemon down: {self.socket_path}: {exc.strerror or exc}") from None
            try:
                msg_id = f"{self._identity}:{next(self._ids)}"
                await loop.sock_sendall(sock, amp.encode([{"type": "call", "method": method, "args": [arg]}, msg_id]))
                reply = await amp.read_message(functools.partial(_readexactly, loop, sock), decode)
            except asyncio.IncompleteReadError:
                raise DaemonDown(f"PM2 daemon closed {self.socket_path} before answering {method}") from None
            except ConnectionError as exc:
                raise DaemonDown(f"PM2 daemon dropped the connection: {exc}") from None
            except amp.ProtocolError as exc:
                raise CollectError("protocol", f"unexpected reply on {self.socket_path}: {exc}") from None
        finally:
            sock.close()
        return _result(reply, msg_id, method)


async def _readexactly(loop: asyncio.AbstractEventLoop, sock: socket.socket, n: int) -> bytearray | mmap.mmap:
    """`n` bytes received straight into one buffer of that size. A stream reader grows its buffer
    chunk by chunk and copies the argument out of it: for a 1.2 MB process list that was three
    fresh megabyte buffers per scrape. A large one is its own mapping, unmapped when dropped:
    from malloc, glibc would keep the heap it grew for it (its mmap threshold rises to the
    largest block freed), and the exporter's RSS with it."""
    buf = mmap.mmap(-1, n) if n >= _OWN_MAPPING else bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = await loop.sock_recv_into(sock, view[got:])
        if not k:
            raise asyncio.IncompleteReadError(bytes(buf[:got]), n)
        got += k
    return buf


def _result(reply: list[Any], msg_id: str, method: str) -> list[Any]:
    if len(reply) != 2 or reply[1] != msg_id:
        raise CollectError("protocol", f"reply to {method} is not [body, id={msg_id}]: "
                                       f"{len(reply)} arguments")
    body = reply[0]
    if not isinstance(body, dict):
        raise CollectError("protocol", f"reply body to {method} is a {type(body).__name__}, not an object")
    if "error" in body:
        raise CollectError("query", f"PM2 daemon answered {method} with an error: {body['error']}")
    args = body.get("args")
    if not isinstance(args, list):
        raise CollectError("protocol", f"reply to {method} has no args list")
    return args
