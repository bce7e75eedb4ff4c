"""`lookout`: the demo's command line.

    lookout demo up [--profile fast|real] [--random-ports] [--no-docker] [--state-file F] [--keep] [--ha]
    lookout demo scenarios
    lookout demo inject <scenario> [--for DURATION]
    lookout demo recover [<scenario>]
    lookout demo status
    lookout systems                 the systems Lookout watches (the registry, lookout/systems/)
    lookout generate [--check]      run every generator of the checkout (lookout/generate.py)
    lookout remediate [--config FILE] ...   (the same as lookout-remediate)

inject/recover/scenarios/status talk to the demo's control API, which both demos serve on
127.0.0.1:9099 (`--url` or LOOKOUT_DEMO_URL for another address). Exit codes: 0 done,
1 refused, 2 usage, 3 demo unreachable.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error

DEFAULT_URL = "http://127.0.0.1:9099"



def _call(url: str, method: str, path: str, body: dict | None = None) -> tuple[int, object]:
    from lookout.simulators.common.ctl import request
    # A recover waits for a crash-looping target to come back: allow it the control API's retry time.
    return request(url, method, path, body, timeout=120)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lookout", description="Lookout demo tools")
    top = parser.add_subparsers(dest="area", required=True)
    top.add_parser("systems", help="list the systems Lookout watches: key, port, exporter, demo target")
    from lookout import generate
    generate.add_arguments(top.add_parser("generate", help="run every generator (rules, dashboards, docs, deploy/, "
                                                           "prometheus.yml, docker-compose.yml); --check: exit 1 if stale"))
    demo = top.add_parser("demo", help="the live demo: start it, break it, mend it")
    sub = demo.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start the native demo (no Docker images needed); Ctrl-C stops it all")
    up.add_argument("--profile", choices=("fast", "real"), default="fast",
                    help="fast: alerts within seconds (default); real: the rules as generated, 15 s scrapes")
    up.add_argument("--random-ports", action="store_true", help="never use the well-known ports (tests)")
    docker = up.add_mutually_exclusive_group()
    docker.add_argument("--no-docker", dest="docker", action="store_const", const="off", default="auto",
                        help="start no Docker engine: a target that uses one runs as a plain process")
    docker.add_argument("--require-docker", dest="docker", action="store_const", const="on",
                        help="fail unless the demo's Docker engine can run")
    up.add_argument("--state-file", help="write the demo's URLs here as JSON once it is up (removed at exit)")
    up.add_argument("--keep", action="store_true", help="keep the logs folder after Ctrl-C (its path is printed)")
    up.add_argument("--ha", action="store_true",
                    help="two Prometheus and two clustered Alertmanagers, with a Watchdog heartbeat (docs/deploying.md)")
    for name, text in (("scenarios", "list the fault scenarios"), ("status", "the demo's URLs")):
        p = sub.add_parser(name, help=text)
        p.add_argument("--url", default=os.environ.get("LOOKOUT_DEMO_URL", DEFAULT_URL))
    inject = sub.add_parser("inject", help="break something: inject <scenario> [--for 30s]")
    inject.add_argument("scenario")
    inject.add_argument("--for", dest="duration", help="recover by itself after this long (30s, 2m)")
    recover = sub.add_parser("recover", help="mend what inject broke (one scenario, or everything)")
    recover.add_argument("scenario", nargs="?")
    for p in (inject, recover):
        p.add_argument("--url", default=os.environ.get("LOOKOUT_DEMO_URL", DEFAULT_URL))
    top.add_parser("remediate", help="the remediation webhook receiver (lookout-remediate --help)", add_help=False)
    if (argv if argv is not None else sys.argv[1:])[:1] == ["remediate"]:
        from lookout.remediate.__main__ import main as remediate
        return remediate((argv if argv is not None else sys.argv[1:])[1:]) or 0
    args = parser.parse_args(argv)

    if args.area == "generate":
        return generate.run(args.check)
    if args.area == "systems":
        from lookout.systems import SYSTEMS
        for s in SYSTEMS:
            print(f"{s.key:8} {s.port:5}  {s.display_name:16} {s.exporter_module:26} demo target {s.demo_target}")
        return 0
    if args.command == "up":
        from lookout.demo.up import up as run_up
        return run_up(args.profile, args.random_ports, args.docker, args.state_file, keep=args.keep, ha=args.ha)
    try:
        if args.command == "scenarios":
            status, body = _call(args.url, "GET", "/api/scenarios")
        elif args.command == "status":
            status, body = _call(args.url, "GET", "/api/status")
        elif args.command == "inject":
            payload = {"for": args.duration} if args.duration else {}
            status, body = _call(args.url, "POST", f"/api/scenarios/{args.scenario}/inject", payload)
        else:
            status, body = _call(args.url, "POST", "/api/recover", {"scenario": args.scenario} if args.scenario else {})
    except (urllib.error.URLError, OSError) as exc:
        print(f"lookout: no demo answers at {args.url} ({getattr(exc, 'reason', exc)}); "
              "start one with `lookout demo up` or `docker-compose up --build`, or pass --url", file=sys.stderr)
        return 3
    if status >= 400:
        print(f"lookout: {body.get('error', f'HTTP {status}') if isinstance(body, dict) else body}", file=sys.stderr)
        return 1
    if args.command == "scenarios" and isinstance(body, list):
        for s in body:
            state = "ACTIVE" if s["active"] else ("unavailable: " + s["unavailable"] if s["unavailable"] else "")
            remedy = f" remedy {s['remedy']}" if s.get("remedy") else ""
            print(f"{s['name']:22} {s['system']:7} pages {', '.join(s.get('pages', [])) or '-':22}"
                  f" chat {', '.join(s.get('chat', [])) or '-':34}{remedy} then quiet {state}".rstrip())
    elif isinstance(body, dict):
        print(one_line(args.command, body))
    else:
        print(json.dumps(body))
    return 0


def one_line(command: str, body: dict) -> str:
    """The control API's answer to inject, recover or status, as the one line a person reads."""
    from lookout.demo import lines
    if command == "inject":
        return lines.inject_line(body)
    if command == "recover":
        return lines.recover_line(body)
    prometheus = body.get("urls", {}).get("prometheus")
    return lines.status_line(body, lines.prometheus_ui(prometheus) if prometheus else None)


if __name__ == "__main__":
    sys.exit(main())
