"""The exporter's HTTP face: /metrics, a landing page, health and readiness."""
from __future__ import annotations

import html
import re
import time

from aiohttp import web
from aiohttp.web import ContentCoding

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
              default_timeout: float, timeout_offset: float, max_timeout: float = 120.0,
              telemetry_path: str = "/metrics") -> web.Application:
    @web.middleware
    async def basic_auth(request: web.Request, handler):
        if not await web_config.authorized(request.headers.get("Authorization"), request.remote):
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
        response = web.Response(body=body, headers={"Content-Type": content_type})
        if accepts_gzip(request.headers.get("Accept-Encoding")):
            response.enable_compression(ContentCoding.gzip)
        return response

    async def landing(request: web.Request) -> web.Response:
        return web.Response(text=_landing_html(scraper, title, telemetry_path), content_type="text/html")

    async def healthy(request: web.Request) -> web.Response:
        return web.Response(text="Healthy\n")

    async def ready(request: web.Request) -> web.Response:
        return web.Response(text="Ready\n")

    app = web.Application(middlewares=[basic_auth] if web_config.users else [])
    app.router.add_get(telemetry_path, metrics)
    if telemetry_path != "/":
        app.router.add_get("/", landing)
    app.router.add_get("/-/healthy", healthy)
    app.router.add_get("/-/ready", ready)
    return app


def accepts_gzip(header: str | None) -> bool:
    """Whether an Accept-Encoding header (RFC 9110 12.5.3) admits gzip: Prometheus sends
    `Accept-Encoding: gzip`; `gzip;q=0` refuses it."""
    for item in (header or "").split(","):
        coding, _, params = item.strip().partition(";")
        if coding.strip().lower() in ("gzip", "x-gzip"):
            q = params.strip().lower()
            if q.startswith("q="):
                try:
                    return float(q[2:]) > 0
                except ValueError:
                    return False
            return True
    return False


def _landing_html(scraper: Scraper, title: str, telemetry_path: str = "/metrics") -> str:
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
<p><a href="{html.escape(telemetry_path.lstrip("/"))}">Metrics</a> · <a href="-/healthy">Health</a> · <a href="-/ready">Readiness</a></p>
<table><tr><th>Collector</th><th>Counts for {html.escape(scraper.namespace)}_up</th><th>Last result</th>
<th>Duration</th><th>Last success</th></tr>
{''.join(rows)}
</table></body></html>
"""


