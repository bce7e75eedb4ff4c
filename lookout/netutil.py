"""Serving an aiohttp app from a command line: the pieces both the exporters' runtime and the
demo targets (lookout.simulators) use. Neutral ground on purpose: the simulators stand in for
the watched applications and must not import the exporters' runtime."""
from __future__ import annotations

import asyncio
import signal
import ssl
from typing import Callable

from aiohttp import web


def split_hostport(text: str, default_host: str) -> tuple[str, int]:
    """`HOST:PORT`, `[v6]:PORT` or `:PORT` -> (host, port). ValueError naming the text otherwise."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"expected HOST:PORT or :PORT, got {text!r}")
    return host.strip("[]") or default_host, int(port)


async def serve_until_signalled(app: web.Application, host: str, port: int,
                                ssl_context: ssl.SSLContext | None = None,
                                on_listening: Callable[[tuple], None] | None = None) -> None:
    """Serve `app` until SIGTERM or SIGINT, then close it gracefully.

    `on_listening` receives the bound (host, port), which tells a port-0 caller its port.
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port, ssl_context=ssl_context, backlog=512)
    await site.start()
    if on_listening:
        on_listening(runner.addresses[0] if runner.addresses else (host, port))
    await stop.wait()
    await runner.cleanup()
