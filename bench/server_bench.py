"""The exporters' HTTP server's own cost: CPU per request for a static `/-/healthy` over one
keep-alive connection, and the resident memory of the idle server process (issue 24).

Each side is the runtime's real `App` and `Server` (no collector: `/-/healthy` does not scrape)
in a child process; this process is the client. CPU is the child's utime+stime from
/proc/<pid>/stat around the requests, so the client's own work is not counted. Rounds
alternate between the sides so a burst of load lands on both; medians are printed.

    python bench/server_bench.py                      # this tree only
    python bench/server_bench.py --old /tmp/old-tree  # beside another tree (e.g. `git archive`
                                                      # of the asyncio server, 0c6eb93)
"""
from __future__ import annotations

import argparse
import http.client
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Runs the tree's server; prints its port, serves until SIGTERM. Works with the asyncio server
# (serve_until_signalled a coroutine, App.__call__ async) and with the blocking one.
CHILD = r"""
import inspect, sys
from lookout.exporters.runtime.http import App
from lookout.exporters.runtime.server import Server, serve_until_signalled
from lookout.exporters.runtime.webconfig import WebConfigSource
server = Server(App(None, "bench", 10.0, 0.5), WebConfigSource(None), 30.0)
run = serve_until_signalled(server, "127.0.0.1", 0, on_listening=lambda b: print(b[1], flush=True))
if inspect.iscoroutine(run):
    import asyncio
    asyncio.run(run)
"""


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _memory(pid: int) -> tuple[float, float]:
    """(RSS, PSS) in MB from /proc/<pid>/smaps_rollup."""
    values = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            parts = line.split()
            if parts[0] in ("Rss:", "Pss:"):
                values[parts[0]] = int(parts[1]) / 1024
    return values["Rss:"], values["Pss:"]


class Side:
    def __init__(self, name: str, tree: str):
        self.name, self.tree = name, tree
        env = {**os.environ, "PYTHONPATH": tree}
        self.proc = subprocess.Popen([sys.executable, "-c", CHILD], cwd=tree, env=env, stdout=subprocess.PIPE,
                                     text=True)
        self.port = int(self.proc.stdout.readline())
        self.cpu_ms: list[float] = []
        self.wall_ms: list[float] = []

    def round(self, requests: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        conn.request("GET", "/-/healthy")
        conn.getresponse().read()  # the connection and a request thread are warm
        cpu0, t0 = _cpu_seconds(self.proc.pid), time.perf_counter()
        for _ in range(requests):
            conn.request("GET", "/-/healthy")
            resp = conn.getresponse()
            if resp.read() != b"Healthy\n":
                raise SystemExit(f"{self.name}: unexpected answer {resp.status}")
        wall, cpu = time.perf_counter() - t0, _cpu_seconds(self.proc.pid) - cpu0
        conn.close()
        self.cpu_ms.append(cpu * 1000 / requests)
        self.wall_ms.append(wall * 1000 / requests)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--old", help="another tree to measure beside this one")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    sides = [Side("this tree", ROOT)]
    if args.old:
        sides.append(Side(f"old ({args.old})", args.old))
    try:
        for _ in range(args.rounds):
            for side in sides:
                side.round(args.requests)
        time.sleep(0.5)
        print(f"{args.requests} keep-alive GET /-/healthy x {args.rounds} rounds (medians); "
              f"load {os.getloadavg()[0]:.2f}")
        print(f"{'server':<40} {'CPU ms/request':>15} {'wall ms/request':>16} {'RSS MB':>8} {'PSS MB':>8}")
        for side in sides:
            rss, pss = _memory(side.proc.pid)
            print(f"{side.name:<40} {statistics.median(side.cpu_ms):>15.3f} "
                  f"{statistics.median(side.wall_ms):>16.3f} {rss:>8.1f} {pss:>8.1f}")
    finally:
        for side in sides:
            side.stop()


if __name__ == "__main__":
    main()
