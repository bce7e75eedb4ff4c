"""TBURN: every monitoring route's answer recorded from the simulator (seeded, clocks fixed),
then the exporter's `/metrics` from those answers, served in-process."""
from __future__ import annotations

import asyncio
import json

from pathlib import Path

import yaml
from aiohttp import web
from aiohttp.test_utils import TestServer

from lookout.exporters.runtime import Deadline
from lookout import __version__ as VERSION
from lookout.exporters.runtime.scrape import Scraper
from lookout.systems.tburn.exporter import EXPORTER
from lookout.exporters.runtime.config import Loader

from tests.golden import normalise

NAME = "tburn"
REPO = "trustburn79-droid/TburnChain"
COMMIT = "a52569cccfdcbf44e2f0e321a0d7b8723bb4e419"
# The route's source in TBURN (the simulator's lookout/systems/tburn/simulator/faults.py names them too).
FILES = {
    "health": "server/routes.ts",
    "system_health": "server/core/monitoring/system-health-routes.ts",
    "system_health_text": "server/core/monitoring/system-health-routes.ts",
    "memory_guardian_text": "server/services/memory-guardian.ts",
    "v6_metrics": "server/routes/sharding-routes.ts",
    "v6_text": "server/routes/sharding-routes.ts",
    "circuit_breakers": "server/routes/sharding-routes.ts",
    "sharding_status": "server/routes/sharding-routes.ts",
    "pipeline": "server/routes/pipeline-routes.ts",
}
SESSION = "golden-session"
WALL = 1_767_225_600.0   # 2026-01-01T00:00:00Z: the recorded timestamps' clock


def folder():
    return Path(__file__).resolve().parent / "recorded"


async def record() -> None:
    """Ask the simulator (in-process, seed 1, clocks frozen) every route once, in order."""
    from lookout.simulators.common import FaultRegistry
    from lookout.systems.tburn.simulator.app import SESSION_COOKIE, make_app
    from lookout.systems.tburn.simulator.faults import ENDPOINTS, FAULTS
    from lookout.systems.tburn.simulator.model import TburnModel

    model = TburnModel(FaultRegistry(FAULTS), seed=1, clock=lambda: 1000.0, wall=lambda: WALL)
    out = folder()
    out.mkdir(parents=True, exist_ok=True)
    sources = {}
    async with TestServer(make_app(model, SESSION)) as server:
        import aiohttp
        async with aiohttp.ClientSession(cookies={SESSION_COOKIE: SESSION}) as session:
            for name, path in ENDPOINTS.items():
                async with session.get(server.make_url(path)) as resp:
                    body = await resp.read()
                    kind = "json" if resp.content_type == "application/json" else "txt"
                    (out / f"{name}.{kind}").write_bytes(body)
                    sources[name] = {"path": path, "status": resp.status, "content_type": resp.content_type,
                                     "file": f"{name}.{kind}", "mirrors": f"{REPO}@{COMMIT}:{FILES[name]}"}
    (out / "SOURCES.yml").write_text("# Recorded by `python -m tests.golden --record` from lookout/systems/tburn/simulator.\n"
                                     + yaml.safe_dump(sources, sort_keys=False))


def _recorded_app() -> web.Application:
    sources = yaml.safe_load((folder() / "SOURCES.yml").read_text())
    app = web.Application()
    for name, s in sources.items():
        body = (folder() / s["file"]).read_bytes()

        async def answer(request, body=body, s=s):
            return web.Response(body=body, status=s["status"], content_type=s["content_type"])
        app.router.add_get(s["path"], answer)
    return app


async def render() -> str:
    """The exporter's `/metrics` (Prometheus text) from the recorded answers, normalised."""
    async with TestServer(_recorded_app()) as server:
        loader = Loader(EXPORTER.namespace, environ={})
        cfg = loader.load(EXPORTER.config_class, {"base_url": str(server.make_url("")).rstrip("/"),
                                                 "auth": {"cookie": f"connect.sid={SESSION}"}})
        collectors = EXPORTER.build(cfg)
        scraper = Scraper(EXPORTER.namespace, collectors, VERSION)
        try:
            snap = await scraper.snapshot(Deadline(10))
            body, _ = scraper.render(snap, None)
        finally:
            for c in collectors:
                await c.close()
    return normalise(body.decode())


def sources() -> dict:
    return yaml.safe_load((folder() / "SOURCES.yml").read_text())


def answers() -> dict[str, object]:
    """Recorded answers by route name (JSON decoded, text as is)."""
    out = {}
    for name, s in sources().items():
        raw = (folder() / s["file"]).read_text()
        out[name] = json.loads(raw) if s["file"].endswith(".json") else raw
    return out


if __name__ == "__main__":
    asyncio.run(record())
