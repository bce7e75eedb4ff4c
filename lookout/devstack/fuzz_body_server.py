"""A fixture for fuzzing, not a stand-in for any system: a real aiohttp server, in a
background thread of the test process, that answers each path with exactly the bytes the
test set for it (status, content type, body, or a connection cut mid-body).

It also records the headers of every request, so tests can see what an exporter sent.
The thread's event loop is open to tests through `run()`, so an in-process exporter
(whose HTTP client must live on a running loop) can share it.
"""
from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass

from aiohttp import web


@dataclass
class Canned:
    body: bytes = b"{}"
    status: int = 200
    content_type: str = "application/json"
    cut: bool = False        # announce the whole body, send half, close the connection
    delay: float = 0.0
    headers: dict | None = None


class FuzzBodyServer:
    def __init__(self):
        self.responses: dict[str, Canned] = {}
        self.seen_headers: list[dict[str, str]] = []
        self.seen_paths: list[str] = []
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="fuzz-server", daemon=True)
        self._runner: web.AppRunner | None = None
        self.url = ""

    def start(self) -> "FuzzBodyServer":
        self._thread.start()
        self.run(self._start())
        return self

    async def _start(self) -> None:
        app = web.Application(client_max_size=1024)
        app.router.add_route("*", "/{tail:.*}", self._answer)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        self.seen_headers.append(dict(request.headers))
        self.seen_paths.append(request.path)
        canned = self.responses.get(request.path)
        if canned is None:
            return web.Response(status=404, text="no canned answer\n")
        if canned.delay:
            await asyncio.sleep(canned.delay)
        if not canned.cut:
            resp = web.Response(body=canned.body, status=canned.status, headers=canned.headers)
            resp.headers["Content-Type"] = canned.content_type
            return resp
        resp = web.StreamResponse(status=canned.status, headers={"Content-Type": canned.content_type})
        resp.content_length = len(canned.body) + 1
        await resp.prepare(request)
        await resp.write(canned.body[: len(canned.body) // 2])
        request.transport.close()
        return resp

    def set(self, path: str, canned: Canned) -> None:
        self.responses[path] = canned

    def run(self, coro, timeout: float = 60.0):
        """Run a coroutine on the server's loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        if self._runner is not None:
            self.run(self._runner.cleanup())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()
