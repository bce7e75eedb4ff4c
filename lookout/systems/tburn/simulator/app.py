"""TBURN's HTTP face: its real monitoring routes read the model; faults bend the answers.

JSON routes answer TBURN's envelope {success, data, timestamp}; `*_text` routes answer its
Prometheus text; every route outside PUBLIC answers 401 {"error": "Unauthorized"} without
the session cookie (server/routes.ts requireAuth).
"""
from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

from lookout.simulators.common import FaultRegistry
from lookout.simulators.common.control import add_control_routes

from .faults import COUNTED, ENDPOINTS, PUBLIC
from .model import TburnModel

SESSION_COOKIE = "connect.sid"   # express-session's default cookie name

_HTML = ("<!DOCTYPE html><html><head><title>TBURN Explorer</title></head>"
         "<body><div id=\"root\"></div><script src=\"/assets/index.js\"></script></body></html>")


def make_app(model: TburnModel, session: str = "lookout-demo-session") -> web.Application:
    """`session` is the value of the one session cookie (or bearer token) accepted."""
    faults = model.faults
    app = web.Application()
    for name, path in ENDPOINTS.items():
        app.router.add_get(path, _endpoint(model, faults, name, session))
    _add_runbook_actions(app, model, faults)
    add_control_routes(app, faults, model.reset)
    return app


def authenticated(request: web.Request, session: str) -> bool:
    return (request.cookies.get(SESSION_COOKIE) == session
            or request.headers.get("Authorization") == f"Bearer {session}")


def _endpoint(model: TburnModel, faults: FaultRegistry, name: str, session: str):
    view = getattr(model, name)

    async def handler(request: web.Request) -> web.StreamResponse:
        if name not in PUBLIC and not authenticated(request, session):
            return web.json_response({"error": "Unauthorized"}, status=401)
        resp = await answer(request)
        if name in COUNTED:  # as TBURN's request-tracking middleware does, on `finish`
            model.count_request(resp.status)
        return resp

    async def answer(request: web.Request) -> web.StreamResponse:
        slow = faults.get("slow-responses")
        if slow and name in slow["endpoints"]:
            await asyncio.sleep(slow["delay"])
        model.advance()
        down = faults.get("health-down") if name == "health" else None
        if down:
            return web.json_response({"status": "unhealthy"}, status=down["status"])
        failing = faults.get("route-errors")
        if failing and name in failing["endpoints"]:
            # Every route's catch: res.status(503).json({success: false, error: ...}).
            return web.json_response({"success": False, "error": failing["error"]}, status=503)
        data = view()
        if name.endswith("_text"):
            body = data
        elif name == "health":
            body = data
        else:
            body = {"success": True, "data": data, "timestamp": int(model.wall() * 1000)}
        garbage = faults.get("garbage-bodies")
        if garbage and name in garbage["endpoints"]:
            return await _garbage(request, garbage["kind"], body if isinstance(body, dict) else {"text": body})
        if isinstance(body, str):
            return web.Response(text=body, content_type="text/plain", charset="utf-8")
        return web.json_response(body)

    return handler


async def _garbage(request: web.Request, kind: str, body: dict) -> web.StreamResponse:
    text = json.dumps(body)
    if kind == "html":  # what a Node app with a SPA fallback answers for a route it lost
        return web.Response(text=_HTML, content_type="text/html")
    if kind == "not-json":
        return web.Response(text="OK\n", content_type="text/plain")
    if kind == "truncated":
        return web.Response(text=text[: len(text) // 2], content_type="application/json")
    if kind == "empty":
        return web.Response(body=b"", content_type="application/json")
    if kind == "wrong-types":
        return web.json_response(_mistype(body))
    if kind == "nulls":
        return web.json_response(_nullify(body))
    if kind == "huge":
        return web.json_response({**body, "padding": "x" * (2 * 1024 * 1024)})
    if kind == "deep":
        return web.Response(text="[" * 100_000 + "]" * 100_000, content_type="application/json")
    # "cut": announce the whole body, send half, hang up.
    data = text.encode()
    resp = web.StreamResponse(headers={"Content-Type": "application/json"})
    resp.content_length = len(data)
    await resp.prepare(request)
    await resp.write(data[: len(data) // 2])
    request.transport.close()
    return resp


def _mistype(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _mistype(v) for k, v in value.items()}
    if isinstance(value, bool):
        return "maybe"
    if isinstance(value, (int, float)):
        return "N/A"
    if isinstance(value, str):
        return {"unexpected": [value]}
    if isinstance(value, list):
        return "[]"
    return {}


def _nullify(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _nullify(v) for k, v in value.items()}
    return None


def _add_runbook_actions(app: web.Application, model: TburnModel, faults: FaultRegistry) -> None:
    """The runbook's remedies, so a demo can follow it: each one ends the matching fault."""

    def action(path: str, do):
        async def handler(request: web.Request) -> web.Response:
            model.advance()
            do()
            return web.json_response({"success": True})
        app.router.add_post(path, handler)

    def cleanup():
        for name in ("heap-pressure", "memory-leak"):
            faults.clear(name)
        model.force_gc()
    async def exit_degraded(request: web.Request) -> web.Response:
        # server/routes/sharding-routes.ts POST /v6/shedder/exit-degraded (TburnChain a52569c):
        # requestShedder.forceExitDegradedMode(), then {success, message, isDegradedMode}. The
        # shedder re-enters degraded mode at its next check while its trigger (lag, a critical
        # heap) persists, as the model does at its next advance.
        model.advance()
        model.exit_degraded()
        return web.json_response({"success": True, "message": "Degraded mode force-exited",
                                  "isDegradedMode": model.degraded()})
    app.router.add_post("/api/sharding/v6/shedder/exit-degraded", exit_degraded)
    # A restart (stop, start) ends a stall, as a new pipeline instance starts producing again.
    action("/api/pipeline/stop", lambda: (faults.clear("pipeline-stalled"), faults.inject("pipeline-stopped")))
    action("/api/pipeline/start", lambda: (faults.clear("pipeline-stalled"), faults.clear("pipeline-stopped")))
    # Not TBURN routes: the simulator's stand-ins for an operator's fix (kept at the paths
    # the demo and its tests already use).
    action("/api/memory-guardian/force-cleanup", cleanup)
    action("/api/circuit-breaker/reset", lambda: faults.clear("breaker-open"))
