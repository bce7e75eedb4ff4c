"""`python -m lookout.systems.backup.simulator --status-file F --listen 127.0.0.1:5006 [--every S]`

The nightly backup job, standing in for cron + restic: it writes restic's summary to F at
start and then every S seconds (86400 by default: nightly). Its only interface to Lookout is
that file; --listen serves the demo's fault control (/_sim: job-fails, status-lost) and /status.
"""
from __future__ import annotations

import argparse

from aiohttp import web

from lookout.simulators.common import FaultRegistry
from lookout.simulators.common.serve import serve, worker_app

from .job import FAULTS, BackupJob


def build(args: argparse.Namespace) -> web.Application:
    faults = FaultRegistry(FAULTS)
    return worker_app(BackupJob(args.status_file, args.every, faults, args.seed), faults)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m lookout.systems.backup.simulator",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--status-file", required=True, help="where the job leaves restic's summary line")
    parser.add_argument("--every", type=float, default=86400.0, help="seconds between runs (nightly: 86400)")
    parser.add_argument("--seed", type=int, default=None)
    serve(parser, build, argv)


if __name__ == "__main__":
    main()
