"""The control API every simulator mounts under /_sim, to switch faults on and off.

    GET    /_sim/faults          active faults and the catalogue with parameters
    POST   /_sim/faults/<name>   {"for": 30, ...params}  (body optional; "for" absent = until cleared)
    DELETE /_sim/faults/<name>   clear one
    DELETE /_sim/faults          clear all
    POST   /_sim/reset           clear all and put the model back to its green start
"""
from __future__ import annotations

import json
import logging
from typing import Callable

from aiohttp import web

from .faults import FaultError, FaultRegistry

PREFIX = "/_sim"
log = logging.getLogger("simulator")


def add_control_routes(app: web.Application, faults: FaultRegistry, reset: Callable[[], None]) -> None:
    def answer(data, status: int = 200) -> web.Response:
        return web.json_response(data, status=status)

    async def listing(request: web.Request) -> web.Response:
        return answer(faults.describe())

    async def inject(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        try:
            text = await request.text()
            body = json.loads(text) if text.strip() else {}
            if not isinstance(body, dict):
                raise FaultError("the body must be a JSON object")
            fault = faults.inject(name, body)
        except json.JSONDecodeError as exc:
            return answer({"error": f"the body is not JSON: {exc}"}, 400)
        except FaultError as exc:
            return answer({"error": str(exc)}, exc.status)
        log.info("fault on: %s %s", name, fault.params)
        return answer(fault.describe(faults.clock()))

    async def clear(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        try:
            cleared = faults.clear(name)
        except FaultError as exc:
            return answer({"error": str(exc)}, exc.status)
        log.info("fault off: %s", name)
        return answer({"cleared": cleared})

    async def clear_all(request: web.Request) -> web.Response:
        return answer({"cleared": faults.clear_all()})

    async def do_reset(request: web.Request) -> web.Response:
        n = faults.clear_all()
        reset()
        log.info("reset")
        return answer({"cleared": n, "reset": True})

    app.router.add_get(f"{PREFIX}/faults", listing)
    app.router.add_delete(f"{PREFIX}/faults", clear_all)
    app.router.add_post(f"{PREFIX}/faults/{{name}}", inject)
    app.router.add_delete(f"{PREFIX}/faults/{{name}}", clear)
    app.router.add_post(f"{PREFIX}/reset", do_reset)
