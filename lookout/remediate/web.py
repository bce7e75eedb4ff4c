"""The receiver's HTTP face: POST /webhook (Alertmanager), /metrics, a landing page listing
recent decisions, and health; behind the exporters' web-config auth and TLS."""
from __future__ import annotations

import asyncio
import html
import json
import logging
from concurrent.futures import ThreadPoolExecutor

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from lookout.exporters.runtime.webconfig import CALLER_THREADS, WebConfig

from .payload import PayloadError, parse
from .receiver import Receiver

log = logging.getLogger("lookout.remediate")
MAX_BODY = 1024 * 1024  # Alertmanager truncates a group long before this


def build_app(receiver: Receiver, web_config: WebConfig) -> web.Application:
    # authorized blocks for a bcrypt check (tens of ms, bounded): off the event loop, on threads
    # of its own, enough that a flood's waiting checks never keep a cached login from a thread
    # (the loop's default executor has about six).
    auth_threads = ThreadPoolExecutor(CALLER_THREADS, thread_name_prefix="auth")

    @web.middleware
    async def basic_auth(request: web.Request, handler):
        ok = await asyncio.get_running_loop().run_in_executor(
            auth_threads, web_config.authorized, request.headers.get("Authorization"), request.remote)
        if not ok:
            receiver.m_payloads.labels("unauthorized").inc()
            log.warning("unauthorized request", extra={"fields": {"path": request.path, "peer": request.remote}})
            return web.Response(status=401, text="Unauthorized\n",
                                headers={"WWW-Authenticate": 'Basic realm="lookout-remediate"'})
        return await handler(request)

    async def webhook(request: web.Request) -> web.Response:
        try:
            raw = await request.read()
            try:
                body = json.loads(raw)
            except RecursionError:  # a body of nested brackets, deeper than Python's stack
                raise ValueError("nested too deeply") from None
            note = parse(body)
        except web.HTTPRequestEntityTooLarge:
            raise
        except (ValueError, UnicodeDecodeError) as exc:  # PayloadError is a ValueError
            reason = str(exc) if isinstance(exc, PayloadError) else f"not JSON: {str(exc)[:120]}"
            receiver.m_payloads.labels("malformed").inc()
            log.warning("malformed notification", extra={"fields": {"reason": reason, "peer": request.remote}})
            return web.json_response({"error": reason}, status=400)
        receiver.m_payloads.labels("accepted").inc()
        decisions = receiver.handle(note)
        return web.json_response({"decisions": [{k: d.get(k) for k in ("alertname", "action", "decision", "detail")}
                                                for d in decisions]})

    async def metrics(request: web.Request) -> web.Response:
        return web.Response(body=generate_latest(receiver.registry), headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def landing(request: web.Request) -> web.Response:
        return web.Response(text=_landing(receiver), content_type="text/html")

    async def healthy(request: web.Request) -> web.Response:
        return web.Response(text="Healthy\n")

    app = web.Application(middlewares=[basic_auth] if web_config.users else [], client_max_size=MAX_BODY)
    app.router.add_post("/webhook", webhook)
    app.router.add_get(receiver.cfg.web.telemetry_path, metrics)
    app.router.add_get("/", landing)
    app.router.add_get("/-/healthy", healthy)
    app.router.add_get("/-/ready", healthy)
    return app


def _landing(receiver: Receiver) -> str:
    cfg = receiver.cfg
    mode = "OFF (enabled: false)" if not cfg.enabled else ("dry-run: decides, does not act" if cfg.dry_run else "acting")
    rows = []
    for e in reversed(receiver.audit.recent):
        cells = [e.get("ts", ""), e.get("decision", ""), e.get("result", ""), e.get("alertname", ""),
                 e.get("action", ""), e.get("target", ""), e.get("detail", "")]
        rows.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>")
    actions = "".join(f"<li>{html.escape(n)} ({html.escape(a.type)}) for {html.escape(', '.join(a.alerts))}</li>"
                      for n, a in cfg.actions.items())
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Lookout remediation</title>
<style>body{{font-family:sans-serif;margin:2em}} td,th{{padding:.3em 1em;text-align:left}}</style></head>
<body><h1>Lookout remediation</h1>
<p><a href="{html.escape(cfg.web.telemetry_path.lstrip('/'))}">Metrics</a> · <a href="-/healthy">Health</a></p>
<p>Mode: <b>{html.escape(mode)}</b>. Cooldown {cfg.cooldown_seconds:g}s, at most {cfg.max_attempts}
attempts per {cfg.window_seconds:g}s. Audit log: {html.escape(str(receiver.audit.path))}</p>
<h2>Actions</h2><ul>{actions or "<li>none configured</li>"}</ul>
<h2>Recent decisions</h2>
<table><tr><th>When (UTC)</th><th>Decision</th><th>Result</th><th>Alert</th><th>Action</th><th>Target</th><th>Detail</th></tr>
{''.join(rows)}
</table></body></html>
"""
