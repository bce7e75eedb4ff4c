"""The exporter's HTTP face: /metrics, a landing page, health and readiness."""
from __future__ import annotations

import asyncio
import html
import os
import re
import signal
import ssl
import sys
import threading
import time
from typing import Awaitable, Callable

from aiohttp import web

from .deadline import Deadline
from .scrape import Scraper
from .webconfig import WebConfig

TIMEOUT_HEADER = "X-Prometheus-Scrape-Timeout-Seconds"
_DECIMAL = re.compile(r"[0-9]{1,9}(\.[0-9]{1,9})?")


def parse_timeout_header(value: str | None, default: float, cap: float) -> float:
    """Seconds from Prometheus's scrape-timeout header, which Prometheus writes as a plain
    decimal (`10`, `2.5`). Anything else (absent, garbage, `inf`, `nan`, `1e309`, zero or
    negative) gives `default`; a larger value is cut to `cap`, so no client can make a
    collection outlive the scrapes that follow it."""
    if value is None or not _DECIMAL.fullmatch(value.strip()):
        return min(default, cap)
    seconds = float(value.strip())
    if not seconds > 0:
        return min(default, cap)
    return min(seconds, cap)


def build_app(scraper: Scraper, web_config: WebConfig, title: str,
              default_timeout: float, timeout_offset: float, max_timeout: float = 120.0) -> web.Application:
    @web.middleware
    async def basic_auth(request: web.Request, handler):
        if not await web_config.authorized(request.headers.get("Authorization")):
            return web.Response(status=401, text="Unauthorized\n",
                                headers={"WWW-Authenticate": 'Basic realm="lookout"'})
        return await handler(request)

    def deadline_for(request: web.Request) -> Deadline:
        timeout = parse_timeout_header(request.headers.get(TIMEOUT_HEADER), default_timeout, max_timeout)
        # Keep a margin for rendering and the network; never less than a sliver.
        return Deadline(max(timeout - timeout_offset, min(timeout * 0.5, 0.1)))

    async def metrics(request: web.Request) -> web.Response:
        snap = await scraper.snapshot(deadline_for(request))
        body, content_type = scraper.render(snap, request.headers.get("Accept"))
        return web.Response(body=body, headers={"Content-Type": content_type})

    async def landing(request: web.Request) -> web.Response:
        return web.Response(text=_landing_html(scraper, title), content_type="text/html")

    async def healthy(request: web.Request) -> web.Response:
        return web.Response(text="Healthy\n")

    async def ready(request: web.Request) -> web.Response:
        return web.Response(text="Ready\n")

    app = web.Application(middlewares=[basic_auth] if web_config.users else [])
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/", landing)
    app.router.add_get("/-/healthy", healthy)
    app.router.add_get("/-/ready", ready)
    return app


def _landing_html(scraper: Scraper, title: str) -> str:
    rows = []
    for c in scraper.collectors:
        st = scraper.status[c.name]
        if st.attempts == 0:
            result = "not run yet"
        elif st.success:
            result = "ok"
        else:
            result = f"failed ({st.reason}): {st.error}"
        last = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(st.last_success)) if st.last_success else "never"
        rows.append(
            f"<tr><td>{html.escape(c.name)}</td><td>{'yes' if c.critical else 'no'}</td>"
            f"<td class={'ok' if st.success else 'bad'}>{html.escape(result)}</td>"
            f"<td>{st.duration * 1000:.1f} ms</td><td>{last}</td></tr>")
    t = html.escape(title)
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>{t}</title>
<style>body{{font-family:sans-serif;margin:2em}} td,th{{padding:.3em 1em;text-align:left}}
.ok{{color:#1a7f37}} .bad{{color:#cf222e}}</style></head>
<body><h1>{t}</h1>
<p><a href="metrics">Metrics</a> · <a href="-/healthy">Health</a> · <a href="-/ready">Readiness</a></p>
<table><tr><th>Collector</th><th>Counts for {html.escape(scraper.namespace)}_up</th><th>Last result</th>
<th>Duration</th><th>Last success</th></tr>
{''.join(rows)}
</table></body></html>
"""


async def serve_until_signalled(app: web.Application, host: str, port: int,
                                ssl_context: ssl.SSLContext | None = None,
                                on_listening: Callable[[tuple], None] | None = None,
                                idle_timeout: float = 30.0, exit_within: float = 4.0,
                                on_stop: Callable[[], Awaitable[None]] | None = None) -> None:
    """Serve `app` until SIGTERM or SIGINT, then close it gracefully, and exit within `exit_within`
    seconds whatever is stuck.

    `on_listening` receives the bound (host, port), which tells a port-0 caller its port.
    `idle_timeout` closes a connection that has not sent a complete request within it, at the
    start or between keep-alive requests (slow or idle clients cannot hold descriptors).
    `on_stop` runs after the server stopped (closing backends). Past `exit_within` seconds
    after the signal the process ends with os._exit(0): a thread stuck in a blocking driver
    call would otherwise hold the interpreter's exit forever.
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    runner = web.AppRunner(app, access_log=None, handle_signals=False, keepalive_timeout=idle_timeout,
                           shutdown_timeout=min(1.0, exit_within / 4))
    await runner.setup()
    site = web.TCPSite(runner, host, port, ssl_context=ssl_context, backlog=512,
                       shutdown_timeout=min(1.0, exit_within / 4))
    await site.start()
    if on_listening:
        on_listening(runner.addresses[0] if runner.addresses else (host, port))
    await stop.wait()
    _exit_after(exit_within)
    try:
        async with asyncio.timeout(exit_within * 0.75):
            await runner.cleanup()
            if on_stop:
                await on_stop()
    except TimeoutError:
        pass  # the watchdog below ends the process; nothing else to wait for


def _exit_after(seconds: float) -> None:
    def watchdog():
        time.sleep(seconds)
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # exiting anyway
                pass
        os._exit(0)
    threading.Thread(target=watchdog, name="exit-watchdog", daemon=True).start()
