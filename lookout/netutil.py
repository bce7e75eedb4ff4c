"""Serving an aiohttp app from a command line, and splitting addresses and URLs: the pieces both
the exporters' runtime and the demo targets (lookout.simulators) use. Neutral ground on purpose:
the simulators stand in for the watched applications and must not import the exporters' runtime.

`urlsplit`, `unquote` and `parse_qsl` are urllib.parse's, for the URLs configurations hold (the
ticks exporter's postgresql:// DSN among them), without importing
urllib.parse at start-up: in Python 3.11 it imports ipaddress, and the two cost an exporter about
0.4 MB of resident memory and 35 million instructions (about 18 ms) of start-up (issue 24). A URL
outside the plain ASCII case (brackets, non-ASCII text) goes to urllib.parse itself.
"""
from __future__ import annotations

import os
import signal
import socket
import sys
import threading
import time

TYPE_CHECKING = False  # typing's own flag, without importing typing (issue 24: start-up)
if TYPE_CHECKING:  # none is loaded by the exporters, which import split_hostport and exit_after only
    import ssl
    from typing import Awaitable, Callable

    from aiohttp import web


def split_hostport(text: str, default_host: str) -> tuple[str, int]:
    """`HOST:PORT`, `[v6]:PORT` or `:PORT` -> (host, port). ValueError naming the text otherwise."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"expected HOST:PORT or :PORT, got {text!r}")
    return host.strip("[]") or default_host, int(port)


_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.")
# urllib.parse's _WHATWG_C0_CONTROL_OR_SPACE and _UNSAFE_URL_BYTES_TO_REMOVE.
_C0_OR_SPACE = "".join(map(chr, range(0x21)))
_HEX = frozenset(b"0123456789abcdefABCDEF")


class URLParts(tuple):
    """urllib.parse.SplitResult's fields and properties: (scheme, netloc, path, query, fragment),
    `hostname`, `port` (ValueError when not a number in 0-65535), `username`, `password`,
    `_replace` and `geturl`."""

    __slots__ = ()
    _fields = ("scheme", "netloc", "path", "query", "fragment")

    scheme = property(lambda self: self[0])
    netloc = property(lambda self: self[1])
    path = property(lambda self: self[2])
    query = property(lambda self: self[3])
    fragment = property(lambda self: self[4])

    def __repr__(self) -> str:
        return "SplitResult(" + ", ".join(f"{k}={v!r}" for k, v in zip(self._fields, self)) + ")"

    @property
    def username(self) -> str | None:
        userinfo, have_info, _ = self[1].rpartition("@")
        return userinfo.partition(":")[0] if have_info else None

    @property
    def password(self) -> str | None:
        userinfo, have_info, _ = self[1].rpartition("@")
        user, have_password, password = userinfo.partition(":")
        return password if have_info and have_password else None

    @property
    def hostname(self) -> str | None:
        hostname = self[1].rpartition("@")[2].partition(":")[0]  # no brackets here: urlsplit's case
        if not hostname:
            return None
        hostname, percent, zone = hostname.partition("%")
        return hostname.lower() + percent + zone

    @property
    def port(self) -> int | None:
        port = self[1].rpartition("@")[2].partition(":")[2]
        if not port:
            return None
        if not (port.isdigit() and port.isascii()):
            raise ValueError(f"Port could not be cast to integer value as {port!r}")
        value = int(port)
        if not 0 <= value <= 65535:
            raise ValueError("Port out of range 0-65535")
        return value

    def _replace(self, **changes: str) -> URLParts:
        return URLParts(changes.pop(k, v) for k, v in zip(self._fields, self))

    def geturl(self) -> str:
        from urllib.parse import urlunsplit  # only for an error message
        return urlunsplit(self)


def urlsplit(url: str) -> URLParts:
    """urllib.parse.urlsplit(url) for a str: the same parts, the same ValueErrors."""
    url = url.lstrip(_C0_OR_SPACE).replace("\t", "").replace("\r", "").replace("\n", "")
    if not url.isascii() or "[" in url or "]" in url:
        from urllib.parse import urlsplit as stdlib_urlsplit  # bracketed IPv6 hosts, IDNA: rare
        return stdlib_urlsplit(url)
    scheme = netloc = query = fragment = ""
    i = url.find(":")
    if i > 0 and url[0].isalpha() and all(c in _SCHEME_CHARS for c in url[:i]):
        scheme, url = url[:i].lower(), url[i + 1:]
    if url[:2] == "//":
        end = len(url)
        for c in "/?#":
            at = url.find(c, 2)
            if at >= 0:
                end = min(end, at)
        netloc, url = url[2:end], url[end:]
    if "#" in url:
        url, fragment = url.split("#", 1)
    if "?" in url:
        url, query = url.split("?", 1)
    return URLParts((scheme, netloc, url, query, fragment))


def unquote(text: str) -> str:
    """urllib.parse.unquote(text): %XX escapes decoded as UTF-8, invalid bytes replaced."""
    if "%" not in text:
        return text
    if not text.isascii():
        from urllib.parse import unquote as stdlib_unquote
        return stdlib_unquote(text)
    items = text.encode("ascii").split(b"%")
    out = [items[0]]
    for item in items[1:]:
        if len(item) >= 2 and item[0] in _HEX and item[1] in _HEX:
            out += (bytes((int(item[:2], 16),)), item[2:])
        else:
            out += (b"%", item)
    return b"".join(out).decode("utf-8", "replace")


def parse_qsl(query: str, keep_blank_values: bool = False) -> list[tuple[str, str]]:
    """urllib.parse.parse_qsl(query, keep_blank_values) for a str: `&`-separated pairs, `+` as
    a space, percent escapes decoded as UTF-8; a pair without `=` (or with an empty value) is
    kept with "" when `keep_blank_values`, else dropped."""
    pairs = []
    for item in query.split("&") if query else ():
        if not item:
            continue
        name, _, value = item.partition("=")
        if value or keep_blank_values:
            pairs.append((unquote(name.replace("+", " ")), unquote(value.replace("+", " "))))
    return pairs


def wire_host(host: str) -> str | bytes:
    """`host` as socket calls take it without importing the idna codec: an ASCII name as bytes
    (what socket's own idna encoding gives for it), anything else as it is. socket.getaddrinfo
    encodes a str host with the idna codec, whose import (stringprep, unicodedata's tables)
    costs about 18 million instructions (9 ms) of start-up (issue 24)."""
    return host.encode("ascii") if host.isascii() else host


def tcp_connect(host: str, port: int, timeout: float, keepalive: bool = False) -> socket.socket:
    """A TCP connection to (`host`, `port`) for a request-answer protocol: socket.create_connection
    within `timeout` seconds by `wire_host` (no idna codec), then TCP_NODELAY (a request is one
    write, not worth Nagle's wait), and SO_KEEPALIVE with `keepalive` (as PyMySQL sets it).
    Raises OSError (TimeoutError among them) as create_connection does; the socket is closed if
    an option cannot be set."""
    sock = socket.create_connection((wire_host(host), port), timeout)
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if keepalive:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    except BaseException:
        sock.close()
        raise
    return sock


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
