"""The scrape runtime's own cost per scrape (issue 24): `Scraper.snapshot` plus the rendering
of its answer, with N collectors that each write one sample (no backend), in process.

Each side is a tree's real `Scraper` in a child process, which times its own scrapes: CPU is
the process's (every thread's) CPU time per scrape, wall the median scrape. Rounds alternate
between the sides so a burst of load lands on both; medians of the rounds are printed.

    python bench/scrape_bench.py                      # this tree only
    python bench/scrape_bench.py --old /tmp/old-tree  # beside another tree (e.g. `git archive`
                                                      # of the asyncio runtime, f159ea5)
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Works with the asyncio Scraper (snapshot a coroutine, collect async) and the threaded one.
CHILD = r"""
import inspect, json, statistics, sys, time
from lookout.exporters.runtime import Collector, Gauge
from lookout.exporters.runtime.deadline import Deadline
from lookout.exporters.runtime.scrape import Scraper

G = Gauge("thing", "A thing.", labels=("n",))
collectors, scrapes = int(sys.argv[1]), int(sys.argv[2])
ASYNC = inspect.iscoroutinefunction(Scraper.snapshot)


def make(i):
    if ASYNC:
        async def collect(self, out, deadline):
            out.add(G, 1, n=self.name)
    else:
        def collect(self, out, deadline):
            out.add(G, 1, n=self.name)
    return type(f"C{i}", (Collector,), {"name": f"c{i}", "metrics": (G,), "collect": collect})()


scraper = Scraper("x", [make(i) for i in range(collectors)], "1.0")


def timed(snap):
    t0 = time.perf_counter()
    scraper.render(snap(), None)
    return time.perf_counter() - t0


if ASYNC:
    import asyncio

    async def main():
        async def one():
            t0 = time.perf_counter()
            scraper.render(await scraper.snapshot(Deadline(5)), None)
            return time.perf_counter() - t0
        for _ in range(50):
            await one()
        c0 = time.process_time()
        walls = [await one() for _ in range(scrapes)]
        return walls, time.process_time() - c0
    walls, cpu = asyncio.run(main())
else:
    for _ in range(50):
        timed(lambda: scraper.snapshot(Deadline(5)))
    c0 = time.process_time()
    walls = [timed(lambda: scraper.snapshot(Deadline(5))) for _ in range(scrapes)]
    cpu = time.process_time() - c0
print(json.dumps({"wall_ms": statistics.median(walls) * 1000, "cpu_ms": cpu / scrapes * 1000,
                  "kind": "asyncio" if ASYNC else "threads"}))
"""


def _round(tree: str, collectors: int, scrapes: int) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(collectors), str(scrapes)], cwd=tree,
                         env={**os.environ, "PYTHONPATH": tree}, capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise SystemExit(f"{tree}: {out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--old", help="another tree to measure beside this one")
    parser.add_argument("--collectors", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--scrapes", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    sides = {"this tree": ROOT, **({"old tree": args.old} if args.old else {})}
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    for n in args.collectors:
        results: dict[str, list[dict]] = {name: [] for name in sides}
        for _ in range(args.rounds):
            for name, tree in sides.items():
                results[name].append(_round(tree, n, args.scrapes))
        for name, rounds in results.items():
            cpu = statistics.median(r["cpu_ms"] for r in rounds)
            wall = statistics.median(r["wall_ms"] for r in rounds)
            print(f"{n} collectors, {name} ({rounds[0]['kind']}): {cpu:.3f} ms CPU, {wall:.3f} ms wall per scrape "
                  f"(medians of {args.rounds} rounds of {args.scrapes})")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
