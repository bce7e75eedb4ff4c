"""Serving an aiohttp app from a command line: the pieces both the exporters' runtime and the
demo targets (lookout.simulators) use. Neutral ground on purpose: the simulators stand in for
the watched applications and must not import the exporters' runtime."""
from __future__ import annotations

import os
import signal
import sys
import threading
import time
from typing import TYPE_CHECKING, Awaitable, Callable

if TYPE_CHECKING:  # neither is loaded by the exporters, which import split_hostport and exit_after only
    import ssl

    from aiohttp import web


def split_hostport(text: str, default_host: str) -> tuple[str, int]:
    """`HOST:PORT`, `[v6]:PORT` or `:PORT` -> (host, port). ValueError naming the text otherwise."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"expected HOST:PORT or :PORT, got {text!r}")
    return host.strip("[]") or default_host, int(port)


async def serve_until_signalled(app: "web.Application", host: str, port: int,
                                ssl_context: "ssl.SSLContext | None" = None,
                                on_listening: Callable[[tuple], None] | None = None,
                                idle_timeout: float = 30.0, exit_within: float = 4.0,
                                on_stop: Callable[[], Awaitable[None]] | None = None) -> None:
    """Serve `app` until SIGTERM or SIGINT, close it gracefully, and exit within `exit_within`
    seconds of the signal whatever is stuck.

    `on_listening` receives the bound (host, port), which tells a port-0 caller its port.
    `idle_timeout` closes a connection that has not sent a complete request within it, at the
    start or between keep-alive requests, so idle or slow clients cannot hold descriptors.
    `on_stop` runs after the server stopped (closing backends). Past `exit_within` seconds the
    process ends with os._exit(0): a thread stuck in a blocking driver call would otherwise
    hold the interpreter's exit forever.
    """
    import asyncio  # here: the exporters import exit_after from this module and no asyncio

    from aiohttp import web

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    grace = min(1.0, exit_within / 4)
    runner = web.AppRunner(app, access_log=None, handle_signals=False, keepalive_timeout=idle_timeout,
                           shutdown_timeout=grace)
    await runner.setup()
    site = web.TCPSite(runner, host, port, ssl_context=ssl_context, backlog=512, shutdown_timeout=grace)
    await site.start()
    if on_listening:
        on_listening(runner.addresses[0] if runner.addresses else (host, port))
    await stop.wait()
    exit_after(exit_within)
    try:
        async with asyncio.timeout(exit_within * 0.75):
            await runner.cleanup()
            if on_stop:
                await on_stop()
    except TimeoutError:
        pass  # the watchdog ends the process; nothing else is worth waiting for


def exit_after(seconds: float) -> None:
    """End the process with os._exit(0) `seconds` from now, whatever is stuck (a daemon thread)."""
    def watchdog():
        time.sleep(seconds)
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # exiting anyway
                pass
        os._exit(0)
    threading.Thread(target=watchdog, name="exit-watchdog", daemon=True).start()
