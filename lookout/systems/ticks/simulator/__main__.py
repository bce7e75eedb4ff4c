"""`python -m lookout.systems.ticks.simulator --dsn-file F --listen 127.0.0.1:5002 --state-file S`

Faults through the shared control API (/_sim): stall, slow, crash-loop, unhealthy,
error-spike, reconnect-storm. With --state-file they outlive restarts. GET /status.
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path

from aiohttp import web

from lookout.simulators.common.serve import serve, worker_app

from .faults import FAULTS, PersistentFaults
from .writer import TickWriter


def _dsn(args: argparse.Namespace) -> str:
    if args.dsn_file:
        return Path(args.dsn_file).read_text().strip()
    dsn = os.environ.get("TICK_WRITER_DSN", "")
    if not dsn:
        raise SystemExit("tick_writer: set --dsn-file or TICK_WRITER_DSN (a postgresql:// URI)")
    return dsn


def build(args: argparse.Namespace) -> web.Application:
    faults = PersistentFaults(FAULTS, args.state_file)
    password = Path(args.password_file).read_text().strip() if args.password_file else None
    writer = TickWriter(_dsn(args), faults, args.ticks_per_minute, args.stats_every, args.health_file, args.seed,
                        password=password)

    async def close_connection():
        if writer.conn is not None:
            await writer.conn.close()

    return worker_app(writer, faults, close_connection)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m lookout.systems.ticks.simulator", description=__doc__.splitlines()[0])
    parser.add_argument("--dsn-file", default=os.environ.get("TICK_WRITER_DSN_FILE", ""),
                        help="file holding the postgresql:// DSN (or TICK_WRITER_DSN)")
    parser.add_argument("--password-file", default=os.environ.get("TICK_WRITER_PASSWORD_FILE", ""),
                        help="the database password, when the DSN carries none")
    parser.add_argument("--ticks-per-minute", type=float, default=200.0, help="runbook 002: green 150-250/min")
    parser.add_argument("--stats-every", type=float, default=10.0, help="seconds between STATS lines")
    parser.add_argument("--state-file", default=os.environ.get("TICK_WRITER_STATE_FILE", ""),
                        help="where active faults are kept across restarts")
    parser.add_argument("--health-file", default=os.environ.get("TICK_WRITER_HEALTH_FILE", ""),
                        help="touched while healthy, removed while not: HEALTHCHECK tests for it")
    parser.add_argument("--seed", type=int, default=None)
    serve(parser, build, argv)


if __name__ == "__main__":
    main()
