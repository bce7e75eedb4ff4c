"""`python -m lookout.systems.toy.simulator --listen 127.0.0.1:5005`: the toy queue's /stats, with a
`backlog` fault that makes the queue grow. The application it stands for is the worked example
of docs/adding-a-system.md (a queue serving {"queue_depth": int, "workers": int})."""
from __future__ import annotations

import argparse
import time

from aiohttp import web

from lookout.simulators.common import FaultRegistry, FaultSpec, Param
from lookout.simulators.common.control import add_control_routes
from lookout.simulators.common.serve import serve

FAULTS = [FaultSpec("backlog", "Jobs arrive faster than the workers take them.",
                    {"per_second": Param(float, 20.0, "queue growth", minimum=0)})]


def build(args: argparse.Namespace) -> web.Application:
    faults = FaultRegistry(FAULTS)
    since = {"t": time.monotonic()}

    async def stats(request: web.Request) -> web.Response:
        backlog = faults.get("backlog")
        depth = 3 + (int((time.monotonic() - backlog.started) * backlog["per_second"]) if backlog else 0)
        return web.json_response({"queue_depth": depth, "workers": 4})

    app = web.Application()
    app.router.add_get("/stats", stats)
    add_control_routes(app, faults, lambda: since.update(t=time.monotonic()))
    return app


if __name__ == "__main__":
    serve(argparse.ArgumentParser(prog="python -m lookout.systems.toy.simulator", description=__doc__), build)
