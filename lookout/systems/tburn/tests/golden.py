"""TBURN: every monitoring route's answer recorded from the simulator (seeded, clocks fixed),
then the exporter's `/metrics` from those answers, served in-process."""
from __future__ import annotations

import asyncio
import json

from pathlib import Path

import yaml
from aiohttp.test_utils import TestServer

from lookout.devstack.fuzz_body_server import Canned, FuzzBodyServer
from lookout.exporters.runtime.config import Loader
from lookout.systems.tburn.exporter import EXPORTER

from tests.golden import normalise, scrape

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


def record() -> None:
    """Ask the simulator (in-process, seed 1, clocks frozen) every route once, in order."""
    asyncio.run(_record())  # the simulator is an aiohttp app (simulators are not exporters)


async def _record() -> None:
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


def _serve_recorded(server: FuzzBodyServer) -> None:
    for s in sources().values():
        body = (folder() / s["file"]).read_bytes()
        server.set(s["path"], Canned(body, status=s["status"], content_type=s["content_type"]))


def render() -> str:
    """The exporter's `/metrics` (Prometheus text, the second of two scrapes) from the recorded
    answers, normalised."""
    server = FuzzBodyServer().start()  # the recorded bytes, served as they are on loopback
    try:
        _serve_recorded(server)
        cfg = Loader(EXPORTER.namespace, environ={}).load(EXPORTER.config_class, {
            "base_url": server.url, "auth": {"cookie": f"connect.sid={SESSION}"}})
        # Lookout's own request counts are read by the health collector while the other
        # collectors' requests are on their threads: which of them finished first varies from
        # run to run, so their values are masked (the second scrape has every series).
        return normalise(scrape(EXPORTER.namespace, EXPORTER.build(cfg)), volatile=("tburn_lookout_requests_total",))
    finally:
        server.stop()


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
    record()
