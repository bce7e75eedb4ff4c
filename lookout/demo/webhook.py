"""The demo's pager: an Alertmanager webhook receiver that keeps every page it got and shows them.

    python -m demo.webhook --listen 127.0.0.1:9095

    POST /<receiver>            Alertmanager's webhook payload (version 4); the path names the receiver
    GET  /                      the pages, newest first, as a page that refreshes itself
    GET  /api/notifications     the same as JSON: one entry per alert per notification
    DELETE /api/notifications   forget them (between demo runs)
    POST /api/remediations      a finished remediation (lookout-remediate's audit `result` entry),
                                posted by the native demo; shown above the pages
    GET  /api/remediations      those, as JSON

Alertmanager sends one notification per alert group; each alert in it becomes one entry,
so "did the database alert page, and did anything else from its system page" is one filter.
"""
from __future__ import annotations

import argparse
import html
import json
import logging
import time
from collections import deque

from aiohttp import web

from lookout.simulators.common.serve import serve

log = logging.getLogger("lookout.demo.webhook")
KEEP = 5000  # entries kept; a demo left running for days must not grow without bound


def entries_of(receiver: str, payload: dict, received: float) -> list[dict]:
    """Flatten one webhook payload into one entry per alert."""
    out = []
    for alert in payload.get("alerts") or []:
        labels = alert.get("labels") or {}
        out.append({
            "received": received,
            "receiver": receiver or payload.get("receiver", ""),
            "am_receiver": payload.get("receiver", ""),
            "status": alert.get("status", payload.get("status", "")),
            "alertname": labels.get("alertname", ""),
            "severity": labels.get("severity", ""),
            "system": labels.get("system", ""),
            "labels": labels,
            "summary": (alert.get("annotations") or {}).get("summary", ""),
            "description": (alert.get("annotations") or {}).get("description", ""),
            "startsAt": alert.get("startsAt", ""),
            "endsAt": alert.get("endsAt", ""),
            "fingerprint": alert.get("fingerprint", ""),
        })
    return out


def make_app(_args=None) -> web.Application:
    pages: deque[dict] = deque(maxlen=KEEP)
    remedies: deque[dict] = deque(maxlen=KEEP)
    app = web.Application(client_max_size=4 * 1024 * 1024)

    async def receive(request: web.Request) -> web.Response:
        try:
            payload = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return web.json_response({"error": "the body is not JSON"}, status=400)
        if not isinstance(payload, dict):
            return web.json_response({"error": "expected a JSON object"}, status=400)
        got = entries_of(request.match_info.get("receiver", ""), payload, time.time())
        pages.extend(got)
        for e in got:
            log.info("%s %s %s severity=%s system=%s receiver=%s", e["status"].upper(), e["alertname"],
                     e["labels"].get("instance", ""), e["severity"], e["system"], e["receiver"])
        return web.json_response({"stored": len(got)})

    async def listing(request: web.Request) -> web.Response:
        return web.json_response(list(pages))

    async def remedied(request: web.Request) -> web.Response:
        try:
            entry = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return web.json_response({"error": "the body is not JSON"}, status=400)
        if not isinstance(entry, dict):
            return web.json_response({"error": "expected a JSON object"}, status=400)
        keep = ("unix", "action", "target", "alertname", "result", "detail", "duration_seconds")
        remedies.append({k: entry.get(k) for k in keep} | {"received": time.time()})
        return web.json_response({"stored": 1})

    async def remedy_listing(request: web.Request) -> web.Response:
        return web.json_response(list(remedies))

    async def forget(request: web.Request) -> web.Response:
        n = len(pages)
        pages.clear()
        return web.json_response({"cleared": n})

    async def page(request: web.Request) -> web.Response:
        return web.Response(text=_html(list(pages), list(remedies)), content_type="text/html")

    app.router.add_get("/", page)
    app.router.add_get("/api/notifications", listing)
    app.router.add_delete("/api/notifications", forget)
    app.router.add_post("/api/remediations", remedied)
    app.router.add_get("/api/remediations", remedy_listing)
    app.router.add_post("/{receiver:[A-Za-z0-9_.-]*}", receive)
    return app


def _remedy_row(r: dict) -> str:
    worked = r.get("result") == "ok"
    outcome = "worked" if worked else f"did not work: {r.get('result')}"
    when = time.strftime("%H:%M:%S", time.localtime(r.get("unix") or r["received"]))
    cells = [when, r.get("action"), r.get("target"), r.get("alertname"), outcome, r.get("detail") or ""]
    return (f"<tr class={'resolved' if worked else 'firing'}>"
            + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>")


def _html(pages: list[dict], remedies: list[dict] = ()) -> str:
    rows = []
    for e in reversed(pages[-500:]):
        when = time.strftime("%H:%M:%S", time.localtime(e["received"]))
        cls = "firing" if e["status"] == "firing" else "resolved"
        rows.append(f"<tr class={cls}><td>{when}</td><td>{html.escape(e['status'])}</td>"
                    f"<td>{html.escape(e['severity'])}</td><td>{html.escape(e['system'])}</td>"
                    f"<td><b>{html.escape(e['alertname'])}</b></td><td>{html.escape(e['receiver'])}</td>"
                    f"<td>{html.escape(e['summary'])}</td></tr>")
    body = "".join(rows) or ("<tr><td colspan=7>No pages yet. Try <code>lookout demo scenarios</code>, then"
                                  " <code>lookout demo inject &lt;scenario&gt;</code>.</td></tr>")
    acted = "".join(_remedy_row(r) for r in reversed(remedies[-100:]))
    remediations = (f"<h2>Remediations by the demo</h2><table><tr><th>finished</th><th>action</th><th>target</th>"
                    f"<th>for alert</th><th>outcome</th><th>detail</th></tr>{acted}</table>" if acted else "")
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><meta http-equiv="refresh" content="3"><title>Lookout pages</title>
<style>body{{font-family:sans-serif;margin:2em;background:#111;color:#ddd}} td,th{{padding:.3em .8em;text-align:left}}
.firing td{{color:#ff6b6b}} .resolved td{{color:#6bcf7f}} code{{color:#fff}}</style></head>
<body>{remediations}<h1>Pages received</h1><p>{len(pages)} notifications (newest first; refreshes every 3 s).
JSON: <a href="api/notifications">api/notifications</a></p>
<table><tr><th>received</th><th>status</th><th>severity</th><th>system</th><th>alert</th><th>receiver</th><th>summary</th></tr>
{body}</table></body></html>
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m lookout.demo.webhook", description="Alertmanager webhook receiver")
    serve(parser, make_app, argv)


if __name__ == "__main__":
    main()
