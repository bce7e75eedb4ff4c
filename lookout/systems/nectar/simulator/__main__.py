"""`python -m lookout.systems.nectar.simulator --db-port 4000 --listen 127.0.0.1:5001`

Faults through the shared control API (/_sim, `python -m lookout.systems.tburn.simulator.ctl --url ...`
speaks it too): stall, slow, db-lost. GET /status shows the chain position.
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path

from aiohttp import web

from .cardano import ERAS, NETWORKS
from lookout.simulators.common import FaultRegistry
from lookout.simulators.common.serve import serve, worker_app

from .chain import Chain
from .faults import FAULTS
from .writer import DbParams, NectarLog, Writer


def _password(args: argparse.Namespace) -> str:
    if args.db_password_file:
        return Path(args.db_password_file).read_text().strip()
    return os.environ.get("NECTAR_WRITER_DB_PASSWORD", "")


def build(args: argparse.Namespace) -> web.Application:
    faults = FaultRegistry(FAULTS)
    db = DbParams(args.db_host, args.db_port, args.db_user, _password(args), args.db_name)
    writer = Writer(db, Chain.at_era(args.network, args.start_era, args.seed), faults, args.blocks_per_second,
                    NectarLog(args.log_file, args.unified_errors_file), give_up_pause=args.give_up_pause)
    app = worker_app(writer, faults)
    for path in ("/api/status", "/api/errors", "/api/memory"):  # Nectar's dashboard API (web/server.go)
        app.router.add_get(path, lambda request, path=path: web.json_response(writer.dashboard()[path]))
    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m lookout.systems.nectar.simulator", description=__doc__.splitlines()[0])
    parser.add_argument("--db-host", default=os.environ.get("NECTAR_WRITER_DB_HOST", "127.0.0.1"))
    parser.add_argument("--db-port", type=int, default=int(os.environ.get("NECTAR_WRITER_DB_PORT", "4000")))
    parser.add_argument("--db-user", default=os.environ.get("NECTAR_WRITER_DB_USER", "root"))
    parser.add_argument("--db-password-file", default=os.environ.get("NECTAR_WRITER_DB_PASSWORD_FILE", ""),
                        help="file holding the password (or NECTAR_WRITER_DB_PASSWORD); empty: none")
    parser.add_argument("--db-name", default="nectar")
    parser.add_argument("--network", default="mainnet", choices=sorted(NETWORKS))
    parser.add_argument("--start-era", default="alonzo", choices=ERAS,
                        help="start at this era's first slot (ignored when the table is further on)")
    parser.add_argument("--blocks-per-second", type=float, default=150.0,
                        help="indexing pace (runbook: > 100 blocks/s in Alonzo)")
    parser.add_argument("--unified-errors-file", default=os.environ.get("NECTAR_WRITER_UNIFIED_ERRORS_FILE", ""),
                        help="Nectar's unified_errors.log, for the exporter's logfile collector")
    parser.add_argument("--log-file", default=os.environ.get("NECTAR_WRITER_LOG_FILE", ""),
                        help="Nectar's log, for the exporter's logfile collector")
    parser.add_argument("--give-up-pause", type=float, default=15.0,
                        help="seconds to wait after giving up before a new round of reconnection attempts")
    parser.add_argument("--seed", type=int, default=None)
    serve(parser, build, argv)


if __name__ == "__main__":
    main()
