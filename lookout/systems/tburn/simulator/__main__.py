"""`python -m lookout.systems.tburn.simulator --listen 127.0.0.1:5000`"""
from __future__ import annotations

import argparse

from lookout.simulators.common import FaultRegistry
from lookout.simulators.common.serve import serve

from .app import make_app
from .faults import FAULTS
from .model import TburnModel


def build(args: argparse.Namespace):
    model = TburnModel(FaultRegistry(FAULTS), seed=args.seed, time_scale=args.time_scale,
                       degraded_seconds=args.degraded_seconds)
    return make_app(model, session=args.session)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m lookout.systems.tburn.simulator", description="TBURN mainnet simulator")
    parser.add_argument("--seed", type=int, default=None, help="random seed, for repeatable dynamics")
    parser.add_argument("--time-scale", type=float, default=1.0,
                        help="model seconds per real second (10 shows a GC cycle in ~7 s)")
    parser.add_argument("--degraded-seconds", type=float, default=30.0,
                        help="how long the request shedder stays degraded once triggered (runbook: 30 s)")
    parser.add_argument("--session", default="lookout-demo-session",
                        help="the connect.sid cookie (or bearer token) the non-public routes accept")
    serve(parser, build, argv)


if __name__ == "__main__":
    main()
