"""Serving a simulator: `--listen HOST:PORT`, clean shutdown on SIGTERM/SIGINT."""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from typing import Callable

from aiohttp import web

from lookout.netutil import serve_until_signalled, split_hostport

from .control import add_control_routes
from .faults import FaultRegistry

log = logging.getLogger("simulator")


def parse_listen(text: str) -> tuple[str, int]:
    try:
        return split_hostport(text, "127.0.0.1")
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def serve(parser: argparse.ArgumentParser, make_app: Callable[[argparse.Namespace], web.Application],
          argv: list[str] | None = None) -> None:
    """Parse `argv` with `parser` (which gets --listen added) and serve make_app(args)."""
    parser.add_argument("--listen", type=parse_listen, default=("127.0.0.1", 5000), metavar="HOST:PORT",
                        help="address to serve on (default 127.0.0.1:5000; port 0 picks a free one)")
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    try:
        asyncio.run(_run(make_app(args), *args.listen))
    except OSError as exc:
        print(f"{parser.prog}: cannot listen on {args.listen[0]}:{args.listen[1]}: {exc.strerror}",
              file=sys.stderr)
        sys.exit(1)


async def _run(app: web.Application, host: str, port: int) -> None:
    # Tests and scripts read this line to learn a port 0 choice.
    await serve_until_signalled(app, host, port, on_listening=lambda bound: print(
        f"listening on http://{bound[0]}:{bound[1]}", file=sys.stderr, flush=True))


def worker_app(worker, faults: FaultRegistry, on_stop: Callable[[], "asyncio.Future | None"] | None = None
               ) -> web.Application:
    """An app running `worker.run()` for as long as it serves, with `worker.status()` at
    /status and the fault control API; `on_stop` is awaited after the worker ends."""
    app = web.Application()

    async def status(request: web.Request) -> web.Response:
        return web.json_response(worker.status())

    async def run_worker(app: web.Application):
        task = asyncio.create_task(worker.run())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        if on_stop is not None:
            await on_stop()

    app.router.add_get("/status", status)
    add_control_routes(app, faults, lambda: None)
    app.cleanup_ctx.append(run_worker)
    return app
