"""The demo's control API: carries out scenarios for `lookout demo inject|recover`.

    GET  /api/scenarios                  the table, with what is active and what is unavailable
    POST /api/scenarios/<name>/inject    {"for": "30s"} optional
    POST /api/recover                    {"scenario": "<name>"} optional: everything otherwise
    GET  /api/status                     the demo's URLs

The native demo runs it inside the orchestrator (services are its child processes); docker
compose runs it as a service with the Docker socket (`python -m lookout.demo.control --compose`),
where stopping TiDB means stopping its container.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import threading
import time
import urllib.error
from pathlib import Path
from typing import Protocol

from aiohttp import web

from lookout.simulators.common import FaultError, parse_duration
from lookout.simulators.common.ctl import request
from lookout.systems import SYSTEMS

from .scenarios import SCENARIOS, TARGETS, Scenario

# A target restarting (a crash loop, PM2 after a leak) is unreachable for a moment; Docker's
# restart backoff doubles up to a minute, so a recover keeps trying for longer than that.
RETRY_SECONDS = 90.0


class ScenarioError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class Infra(Protocol):
    def stop(self, service: str) -> None: ...
    def start(self, service: str) -> bool: ...  # True when it was down and now runs again
    def missing(self, needs: str) -> str: ...  # "" when the capability is there, else why not


def remediations(audit_log: Path | None, since: float) -> list[dict]:
    """lookout-remediate's finished actions (audit `result` lines, lookout/remediate/audit.py)
    since `since` (Unix seconds), oldest first; [] without a log."""
    if audit_log is None or not audit_log.exists():
        return []
    out = []
    for line in audit_log.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # a line being written right now
        if entry.get("decision") == "result" and (entry.get("unix") or 0) >= since:
            out.append(entry)
    return out


def remediation_text(entry: dict) -> str:
    """One finished remediation, as `recover` and the demo's terminal say it."""
    worked = "worked" if entry.get("result") == "ok" else f"did not work ({entry.get('result')}: {entry.get('detail', '')})"
    return (f"the demo's remediation {entry.get('action', '?')} acted on {entry.get('target', '?')}"
            f" for {entry.get('alertname', '?')} and {worked}")


class Controller:
    def __init__(self, sims: dict[str, str], infra: Infra, urls: dict | None = None, audit_log: Path | None = None):
        self.sims = sims
        self.infra = infra
        self.urls = urls or {}
        self.audit_log = audit_log  # lookout-remediate's audit log, where the demo remediates
        self.active: dict[str, dict] = {}
        self._lock = threading.RLock()
        self._timers: dict[str, threading.Timer] = {}

    def scenarios(self) -> list[dict]:
        now = time.time()
        with self._lock:
            for name, info in list(self.active.items()):
                if info["until"] is not None and info["until"] <= now:
                    del self.active[name]
            return [{"name": s.name, "system": s.system, "alert": s.alert, "help": s.help, **s.promise(),
                     "active": s.name in self.active, "unavailable": self.infra.missing(s.needs) if s.needs else ""}
                    for s in SCENARIOS.values()]

    def inject(self, name: str, duration=None) -> dict:
        s = self._scenario(name)
        if s.needs and (why := self.infra.missing(s.needs)):
            raise ScenarioError(409, f"{name} is not available in this demo: {why}")
        try:
            seconds = parse_duration(duration)
        except FaultError as exc:
            raise ScenarioError(400, str(exc)) from None
        with self._lock:
            if s.service:
                self.infra.stop(s.service)
                if seconds is not None:
                    self._later(s, seconds)
            else:
                body = dict(s.params, **({"for": seconds} if seconds is not None else {}))
                self._sim(s.target, "POST", f"/_sim/faults/{s.fault}", body, retry=10)
            started = time.time()
            self.active[name] = {"since": started, "until": None if seconds is None else started + seconds}
        return {"scenario": name, "alert": s.alert, "system": s.system, "injected_at": started,
                "for_seconds": seconds, "expect": s.expectation(), **s.promise()}

    def recover(self, name: str | None = None) -> dict:
        chosen = [self._scenario(name)] if name else list(SCENARIOS.values())
        done = []
        with self._lock:
            since = [self.active[s.name]["since"] for s in chosen if s.name in self.active]
            # What the demo's own remediation did during these faults (recover reports it).
            remedied = [remediation_text(e) for e in remediations(self.audit_log, min(since))] if since else []
            for s in chosen:
                timer = self._timers.pop(s.name, None)
                if timer:
                    timer.cancel()
            # Only what was actually broken is named: a recover of a healthy demo says so.
            for service in sorted({s.service for s in chosen if s.service}):
                if self.infra.start(service):
                    done.append(f"started {service}")
            if name:
                s = chosen[0]
                if s.target:
                    answer = self._sim(s.target, "DELETE", f"/_sim/faults/{s.fault}", retry=RETRY_SECONDS)
                    if answer.get("cleared"):
                        done.append(f"cleared {s.fault} on {s.target}")
                self.active.pop(name, None)
            else:
                for target in TARGETS:
                    if target in self.sims:
                        n = self._sim(target, "DELETE", "/_sim/faults", retry=RETRY_SECONDS).get("cleared") or 0
                        if n:
                            done.append(f"cleared {n} fault{'s' if n > 1 else ''} on {target}")
                self.active.clear()
        return {"recovered": name or "everything", "done": done, "remediated": remedied, "at": time.time()}

    def _scenario(self, name: str) -> Scenario:
        try:
            return SCENARIOS[name]
        except KeyError:
            raise ScenarioError(404, f"unknown scenario {name!r} (known: {', '.join(SCENARIOS)})") from None

    def _later(self, s: Scenario, seconds: float) -> None:
        def restore():
            with self._lock:
                self._timers.pop(s.name, None)
                self.infra.start(s.service)
                self.active.pop(s.name, None)
        timer = threading.Timer(seconds, restore)
        timer.daemon = True
        self._timers[s.name] = timer
        timer.start()

    def _sim(self, target: str, method: str, path: str, body: dict | None = None, retry: float = 0) -> dict:
        url = self.sims.get(target)
        if not url:
            raise ScenarioError(409, f"{target} is not part of this demo")
        end = time.monotonic() + retry
        while True:
            try:
                status, answer = request(url, method, path, body, timeout=5)
            except (urllib.error.URLError, OSError) as exc:
                if time.monotonic() >= end:
                    raise ScenarioError(502, f"{target} at {url} did not answer: {getattr(exc, 'reason', exc)}") from None
                time.sleep(0.5)
                continue
            if status >= 400:
                raise ScenarioError(502, f"{target} refused {method} {path}: {answer.get('error', status)}")
            return answer


def make_app(ctl: Controller) -> web.Application:
    app = web.Application()

    async def call(fn, *args) -> web.Response:
        try:
            return web.json_response(await asyncio.to_thread(fn, *args))
        except ScenarioError as exc:
            return web.json_response({"error": str(exc)}, status=exc.status)

    async def body(request: web.Request) -> dict:
        text = await request.text()
        try:
            data = json.loads(text) if text.strip() else {}
        except json.JSONDecodeError:
            raise web.HTTPBadRequest(text=json.dumps({"error": "the body is not JSON"}), content_type="application/json")
        if not isinstance(data, dict):
            raise web.HTTPBadRequest(text=json.dumps({"error": "expected a JSON object"}), content_type="application/json")
        return data

    async def scenarios(request):
        return web.json_response(ctl.scenarios())

    async def inject(request):
        return await call(ctl.inject, request.match_info["name"], (await body(request)).get("for"))

    async def recover(request):
        return await call(ctl.recover, (await body(request)).get("scenario"))

    async def status(request):
        active = [s["name"] for s in await asyncio.to_thread(ctl.scenarios) if s["active"]]
        return web.json_response({"urls": ctl.urls, "simulators": ctl.sims, "active": active})

    app.router.add_get("/api/scenarios", scenarios)
    app.router.add_post("/api/scenarios/{name}/inject", inject)
    app.router.add_post("/api/recover", recover)
    app.router.add_get("/api/status", status)
    return app


class ControlServer:
    """The control API on its own thread and event loop, inside the native orchestrator."""

    def __init__(self, ctl: Controller, host: str, port: int):
        self.ctl, self.host, self.port = ctl, host, port
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="demo-control", daemon=True)
        self._runner: web.AppRunner | None = None
        self._error: BaseException | None = None

    def start(self) -> "ControlServer":
        self._thread.start()
        self._ready.wait(15)
        if self._error:
            raise RuntimeError(f"control API cannot listen on {self.host}:{self.port}: {self._error}")
        return self

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._runner = web.AppRunner(make_app(self.ctl), access_log=None, handle_signals=False)
            self._loop.run_until_complete(self._runner.setup())
            self._loop.run_until_complete(web.TCPSite(self._runner, self.host, self.port).start())
        except BaseException as exc:  # reported by start()
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(self._runner.cleanup())
        self._loop.close()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)


class ComposeInfra:
    """Services are docker compose containers, found by their compose labels."""

    def __init__(self, project: str = ""):
        import docker
        self.client = docker.from_env()
        self.project = project

    def _container(self, service: str):
        filters = {"label": [f"com.docker.compose.service={service}"]}
        if self.project:
            filters["label"].append(f"com.docker.compose.project={self.project}")
        found = self.client.containers.list(all=True, filters=filters)
        if not found:
            raise ScenarioError(409, f"no container for compose service {service!r}")
        return found[0]

    def stop(self, service: str) -> None:
        # stop, not kill: a stopped container counts as stopped by hand, so the restart
        # policy leaves it down until recover starts it.
        self._container(service).stop(timeout=1)

    def start(self, service: str) -> bool:
        container = self._container(service)
        if container.status == "running":
            return False
        container.start()
        return True

    def missing(self, needs: str) -> str:
        return ""


def main(argv: list[str] | None = None) -> None:
    """The control API as a compose service; simulators by URL, TiDB through the Docker socket."""
    from lookout.simulators.common.serve import serve
    parser = argparse.ArgumentParser(prog="python -m lookout.demo.control", description="Lookout demo control API")
    parser.add_argument("--project", default="", help="compose project name (default: any)")
    for system in SYSTEMS:
        parser.add_argument(f"--{system.demo_target.replace('_', '-')}", metavar="URL", default="",
                            help=f"base URL of {system.display_name}'s demo target")

    def build(args):
        sims = {t: getattr(args, t) for t in TARGETS if getattr(args, t)}
        return make_app(Controller(sims, ComposeInfra(args.project)))
    serve(parser, build, argv)


if __name__ == "__main__":
    main()
