"""A dead man's switch for the Watchdog alert, standing in for the external heartbeat
service an operator connects (healthchecks.io, Dead Man's Snitch, a PagerDuty or Opsgenie
heartbeat): it expects a ping at least every `--expect-every` and reports when one is late.

    python -m lookout.deploy.heartbeat --listen 127.0.0.1:9098 --expect-every 90s

    POST /ping       Alertmanager's webhook (the `heartbeat` receiver); any body counts as a ping
    GET  /status     200 {"state": "ok", ...} while pings arrive in time,
                     503 {"state": "missing" | "waiting", ...} when the last is older than the
                     expected interval, or none has come yet

It must run outside the monitored stack (another host, or a hosted service): a dead stack
cannot report its own death.
"""
from __future__ import annotations

import argparse
import logging
import time

from aiohttp import web

from lookout.simulators.common.serve import serve

log = logging.getLogger("lookout.deploy.heartbeat")


def parse_seconds(text: str) -> float:
    """'90s', '2m' or '90' as seconds (ArgumentTypeError otherwise)."""
    units = {"s": 1, "m": 60, "h": 3600}
    number, unit = (text[:-1], units[text[-1]]) if text and text[-1] in units else (text, 1)
    try:
        value = float(number) * unit
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a duration like 90s or 2m, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"the interval must be positive, got {text!r}")
    return value


class Switch:
    def __init__(self, expect_every: float, clock=time.time):
        self.expect_every = expect_every
        self.clock = clock
        self.started = clock()
        self.last: float | None = None
        self.pings = 0

    def ping(self) -> None:
        self.last = self.clock()
        self.pings += 1

    def status(self) -> dict:
        now = self.clock()
        if self.last is None:
            state = "waiting" if now - self.started <= self.expect_every else "missing"
            age = None
        else:
            age = now - self.last
            state = "ok" if age <= self.expect_every else "missing"
        return {"state": state, "pings": self.pings, "seconds_since_last": age, "expect_every": self.expect_every}


def make_app(args) -> web.Application:
    switch = Switch(args.expect_every)
    app = web.Application()

    async def ping(request: web.Request) -> web.Response:
        await request.read()
        switch.ping()
        return web.json_response({"pings": switch.pings})

    async def status(request: web.Request) -> web.Response:
        s = switch.status()
        if s["state"] == "missing":
            log.warning("heartbeat missing: last ping %s s ago", s["seconds_since_last"])
        return web.json_response(s, status=200 if s["state"] == "ok" else 503)

    app.router.add_post("/ping", ping)
    app.router.add_get("/status", status)
    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m lookout.deploy.heartbeat", description=__doc__.split("\n")[0])
    parser.add_argument("--expect-every", type=parse_seconds, default=parse_seconds("5m"),
                        help="a ping later than this is missing (default 5m)")
    serve(parser, make_app, argv)


if __name__ == "__main__":
    main()
