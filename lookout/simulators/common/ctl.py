"""The control CLI every simulator shares; it only speaks the /_sim HTTP API.

    ctl [--url URL] list
    ctl [--url URL] inject NAME [--for 30s] [--PARAM VALUE ...]
    ctl [--url URL] clear NAME | clear --all
    ctl [--url URL] reset

Parameters pass through as strings: the simulator validates them, so the CLI never
drifts from the catalogue (`list` shows it). Exit codes: 0 done, 1 refused, 2 usage,
3 simulator unreachable.
"""
from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request


def request(url: str, method: str, path: str, body: dict | None = None, timeout: float = 10.0) -> tuple[int, dict]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url.rstrip("/") + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        try:
            return exc.code, json.loads(exc.read() or b"{}")
        except ValueError:
            return exc.code, {"error": f"HTTP {exc.code}"}


def _params(extra: list[str]) -> dict[str, str]:
    """`--lag-ms 400 --endpoints a,b` -> {"lag_ms": "400", "endpoints": "a,b"}."""
    params, i = {}, 0
    while i < len(extra):
        flag = extra[i]
        if not flag.startswith("--") or len(flag) < 3:
            raise SystemExit(f"unexpected argument {flag!r}; parameters look like --name VALUE")
        name, eq, value = flag[2:].partition("=")
        if not eq:
            if i + 1 >= len(extra):
                raise SystemExit(f"--{name} needs a value")
            value, i = extra[i + 1], i + 1
        params[name.replace("-", "_")] = value
        i += 1
    return params


def main(prog: str, default_url: str, argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=prog, description="Switch a simulator's faults on and off.")
    parser.add_argument("--url", default=default_url, help=f"the simulator (default {default_url})")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="active faults and the catalogue")
    inject = sub.add_parser("inject", help="switch a fault on: inject NAME [--for 30s] [--PARAM VALUE ...]")
    inject.add_argument("name")
    inject.add_argument("--for", dest="duration", help="clear itself after this long (30s, 2m, 500ms)")
    clear = sub.add_parser("clear", help="switch a fault off (or --all)")
    clear.add_argument("name", nargs="?")
    clear.add_argument("--all", action="store_true")
    sub.add_parser("reset", help="clear every fault and restart the model green")
    args, extra = parser.parse_known_args(argv)
    if extra and args.command != "inject":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        if args.command == "list":
            status, body = request(args.url, "GET", "/_sim/faults")
        elif args.command == "inject":
            payload: dict = _params(extra)
            if args.duration:
                payload["for"] = args.duration
            status, body = request(args.url, "POST", f"/_sim/faults/{args.name}", payload)
        elif args.command == "clear":
            if bool(args.name) == args.all:
                parser.error("clear takes a fault name or --all")
            path = "/_sim/faults" if args.all else f"/_sim/faults/{args.name}"
            status, body = request(args.url, "DELETE", path)
        else:
            status, body = request(args.url, "POST", "/_sim/reset")
    except (urllib.error.URLError, OSError) as exc:
        print(f"{prog}: cannot reach {args.url}: {getattr(exc, 'reason', exc)}", file=sys.stderr)
        return 3
    if status >= 400:
        print(f"{prog}: {body.get('error', f'HTTP {status}')}", file=sys.stderr)
        return 1
    print(json.dumps(body, indent=2))
    return 0
