"""The exporter's routes: /metrics (or --web.telemetry-path), a landing page, health and readiness;
served by server.py."""
from __future__ import annotations

import re
import time

from .deadline import Deadline
from .scrape import Scraper
from .server import Request, Response
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


class App:
    """The routes: the telemetry path, the landing page on /, /-/healthy and /-/ready, behind
    the connection's basic-auth users when its web-config has any."""

    def __init__(self, scraper: Scraper, title: str, default_timeout: float, timeout_offset: float,
                 max_timeout: float = 120.0, telemetry_path: str = "/metrics", watches: list[str] | None = None,
                 runbooks_url: str = ""):
        self.scraper, self.title = scraper, title
        self.default_timeout, self.timeout_offset, self.max_timeout = default_timeout, timeout_offset, max_timeout
        self.telemetry_path = telemetry_path
        self.watches = watches or []
        self.runbooks_url = runbooks_url

    def __call__(self, request: Request) -> Response:
        """The answer to `request`; blocking (a bcrypt check, a collection up to its deadline),
        called on a request thread."""
        web: WebConfig = request.web
        if web.users and not web.authorized(request.headers.get("authorization"), request.client):
            return Response(401, b"Unauthorized\n", [*_TEXT, ("WWW-Authenticate", 'Basic realm="lookout"')])
        path = request.path
        if path not in (self.telemetry_path, "/", "/-/healthy", "/-/ready"):
            return Response(404, b"404: Not Found\n", list(_TEXT))
        if request.method not in ("GET", "HEAD"):
            return Response(405, b"405: Method Not Allowed\n", [*_TEXT, ("Allow", "GET, HEAD")])
        if path == self.telemetry_path:
            return self.metrics(request)
        if path == "/":
            page = landing_html(self.scraper, self.title, self.telemetry_path, self.watches, self.runbooks_url)
            return Response(200, page.encode(), [("Content-Type", "text/html; charset=utf-8")])
        return Response(200, b"Healthy\n" if path == "/-/healthy" else b"Ready\n", list(_TEXT))

    def deadline_for(self, request: Request) -> Deadline:
        timeout = parse_timeout_header(request.headers.get(TIMEOUT_HEADER.lower()), self.default_timeout,
                                       self.max_timeout)
        # Keep a margin for rendering and the network; never less than a sliver. Counted from
        # the request's arrival: Prometheus' timeout runs while the request waits for a thread.
        return Deadline(max(timeout - self.timeout_offset, min(timeout * 0.5, 0.1)), request.arrived)

    def metrics(self, request: Request) -> Response:
        snap = self.scraper.snapshot(self.deadline_for(request))
        body, content_type = self.scraper.render(snap, request.headers.get("accept"))
        headers = [("Content-Type", content_type)]
        if accepts_gzip(request.headers.get("accept-encoding")):
            import zlib  # a C module: nothing to pay for until a client asks for gzip
            deflate = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)  # 16+: the gzip wrapper
            body = deflate.compress(body) + deflate.flush()
            headers.append(("Content-Encoding", "gzip"))
        headers.append(("Vary", "Accept-Encoding"))
        return Response(200, body, headers)


_TEXT = [("Content-Type", "text/plain; charset=utf-8")]


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


def landing_html(scraper: Scraper, title: str, telemetry_path: str = "/metrics",
                 watches: list[str] | None = None, runbooks_url: str = "") -> str:
    """The landing page: version, what the exporter watches (addresses and paths, never
    credentials: `watches` comes from landing.watched), the links, and each collector's last result."""
    import html  # here, not at the top: html.entities' table is not needed until someone opens this page
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
    watched = "".join(f"<li>{html.escape(w)}</li>" for w in (watches or [])) or "<li>(nothing configured)</li>"
    runbooks = (f' · <a href="{html.escape(runbooks_url)}">Runbooks</a>' if runbooks_url
                else " · Runbooks: docs/runbooks.md in Lookout (set web.runbooks_url to link them)")
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>{t}</title>
<style>body{{font-family:sans-serif;margin:2em}} td,th{{padding:.3em 1em;text-align:left}}
.ok{{color:#1a7f37}} .bad{{color:#cf222e}}</style></head>
<body><h1>{t}</h1>
<p>Lookout version {html.escape(scraper.version)}</p>
<p><a href="{html.escape(telemetry_path.lstrip("/"))}">Metrics</a> · <a href="-/healthy">Health</a> · <a href="-/ready">Readiness</a>{runbooks}</p>
<h2>Watching</h2>
<ul>{watched}</ul>
<table><tr><th>Collector</th><th>Counts for {html.escape(scraper.namespace)}_up</th><th>Last result</th>
<th>Duration</th><th>Last success</th></tr>
{''.join(rows)}
</table></body></html>
"""
