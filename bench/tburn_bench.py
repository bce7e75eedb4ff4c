"""TBURN exporter benchmark, in one run against the real simulator.

    .venv/bin/python bench/tburn_bench.py [--duration 8] [--repeats 3] [--delay-ms 50] [--json]

1. Throughput: 4 concurrent scrapers for --duration seconds, against an exporter that
   collects on every scrape (min_interval 0) and one that reuses a collection for 1 s.
   Scrapes/s and p50/p99 scrape latency.
2. Collection latency: each endpoint answers after --delay-ms (the simulator's
   slow-responses fault). The slowest single endpoint (median of direct GETs) against
   a whole scrape with the nine endpoints fetched concurrently (max_concurrency 9) and
   one after another (max_concurrency 1). Target: concurrent <= 1.5x the slowest endpoint.
3. Steady RSS of the exporter process after the load: target <= 45 MB.

Every figure is the median over --repeats runs; the machine is shared and noisy.
The simulator, like TBURN (server/routes.ts), answers 401 on every route but /health without
its session: the exporters get the cookie from a secret file (auth.cookie_file, as an operator
configures it), the direct GETs send the same Cookie header, and the run stops if any
collector failed, so no figure is the speed of a 401.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import aiohttp
import psutil
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lookout.devstack.proc import ExporterProcess  # noqa: E402
from lookout.devstack.simulator import SimulatorProcess  # noqa: E402
from lookout.systems.tburn.simulator.faults import ENDPOINTS  # noqa: E402

# The simulator's default session (lookout/systems/tburn/simulator/__main__.py --session).
SESSION = "lookout-demo-session"
COOKIE = f"connect.sid={SESSION}"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)]


async def hammer(url: str, seconds: float, scrapers: int = 4) -> dict:
    latencies: list[float] = []
    end = time.monotonic() + seconds

    async def one(session: aiohttp.ClientSession):
        while time.monotonic() < end:
            start = time.perf_counter()
            async with session.get(url + "/metrics") as resp:
                await resp.read()
                assert resp.status == 200
            latencies.append(time.perf_counter() - start)

    async with aiohttp.ClientSession() as session:
        began = time.monotonic()
        await asyncio.gather(*(one(session) for _ in range(scrapers)))
        elapsed = time.monotonic() - began
    return {"scrapes_per_second": len(latencies) / elapsed,
            "p50_ms": percentile(latencies, 0.5) * 1000, "p99_ms": percentile(latencies, 0.99) * 1000}


async def timed_gets(url: str, n: int) -> float:
    """Median seconds for `n` sequential GETs of url."""
    times = []
    async with aiohttp.ClientSession(headers={"Cookie": COOKIE}) as session:
        for _ in range(n):
            start = time.perf_counter()
            async with session.get(url) as resp:
                await resp.read()
                if resp.status != 200:
                    raise SystemExit(f"{url} answered HTTP {resp.status}: the figures would time an error")
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def exporter(workdir: Path, name: str, base_url: str, **settings) -> ExporterProcess:
    cookie = workdir / "tburn-cookie"
    cookie.write_text(COOKIE + "\n")
    cookie.chmod(0o600)
    cfg = workdir / f"{name}.yml"
    cfg.write_text(yaml.safe_dump({"base_url": base_url, "auth": {"cookie_file": str(cookie)}, **settings}))
    proc = ExporterProcess("tburn", cfg, workdir).wait_ready()
    failing = failing_collectors(proc.url)
    if failing:
        proc.stop()
        raise SystemExit(f"exporter {name}: collectors failing before the load: {failing}")
    return proc


def failing_collectors(url: str) -> list[str]:
    """Lines `lookout_collector_success{...} 0` of one scrape (a 401 shows here as reason auth)."""
    text = urllib.request.urlopen(url + "/metrics", timeout=30).read().decode()
    return [line for line in text.splitlines()
            if line.startswith("lookout_collector_success{") and float(line.rsplit(" ", 1)[1]) == 0]


def rss_mb(proc: ExporterProcess, samples: int = 10) -> float:
    p = psutil.Process(proc.proc.pid)
    values = []
    for _ in range(samples):
        values.append(p.memory_info().rss / 2**20)
        time.sleep(0.2)
    return statistics.median(values)


def inject(sim_url: str, name: str, body: dict) -> None:
    req = urllib.request.Request(f"{sim_url}/_sim/faults/{name}", data=json.dumps(body).encode(),
                                 method="POST", headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=5).read()


def reset(sim_url: str) -> None:
    urllib.request.urlopen(urllib.request.Request(f"{sim_url}/_sim/reset", method="POST"), timeout=5).read()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--duration", type=float, default=8.0, help="seconds of load per throughput run")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--delay-ms", type=float, default=50.0, help="per-endpoint answer delay for part 2")
    ap.add_argument("--json", action="store_true", help="print the raw figures as JSON too")
    args = ap.parse_args()

    runs: dict[str, list] = {k: [] for k in (
        "every_scrape", "min_interval_1s", "slowest_endpoint_ms", "concurrent_ms", "sequential_ms", "rss_mb")}
    with tempfile.TemporaryDirectory(prefix="tburn-bench-") as tmp:
        workdir = Path(tmp)
        sim = SimulatorProcess(workdir, ["--seed", "1", "--log-level", "warning"]).wait_ready()
        procs = []
        try:
            every = exporter(workdir, "every", sim.url)
            cached = exporter(workdir, "cached", sim.url, scrape={"min_interval_seconds": 1.0})
            concurrent = exporter(workdir, "concurrent", sim.url, max_concurrency=9)
            sequential = exporter(workdir, "sequential", sim.url, max_concurrency=1)
            procs = [every, cached, concurrent, sequential]
            for r in range(args.repeats):
                print(f"run {r + 1}/{args.repeats}", file=sys.stderr)
                reset(sim.url)
                runs["every_scrape"].append(asyncio.run(hammer(every.url, args.duration)))
                runs["min_interval_1s"].append(asyncio.run(hammer(cached.url, args.duration)))
                runs["rss_mb"].append(rss_mb(every))

                inject(sim.url, "slow-responses", {"delay": args.delay_ms / 1000})
                per_endpoint = [asyncio.run(timed_gets(sim.url + path, 10)) for path in ENDPOINTS.values()]
                runs["slowest_endpoint_ms"].append(max(per_endpoint) * 1000)
                runs["concurrent_ms"].append(asyncio.run(timed_gets(concurrent.url + "/metrics", 15)) * 1000)
                runs["sequential_ms"].append(asyncio.run(timed_gets(sequential.url + "/metrics", 5)) * 1000)
                reset(sim.url)
        finally:
            for p in procs:
                p.stop()
            sim.stop()

    med = {k: statistics.median(v) for k, v in runs.items() if v and not isinstance(v[0], dict)}
    for k in ("every_scrape", "min_interval_1s"):
        med[k] = {m: statistics.median(r[m] for r in runs[k]) for m in runs[k][0]}
    ratio = med["concurrent_ms"] / med["slowest_endpoint_ms"]
    print(f"TBURN exporter benchmark (medians of {args.repeats} runs; {os.cpu_count()} CPUs, shared)")
    print(f"{'4 scrapers, collect every scrape':36} {med['every_scrape']['scrapes_per_second']:8.1f} scrapes/s"
          f"  p50 {med['every_scrape']['p50_ms']:6.1f} ms  p99 {med['every_scrape']['p99_ms']:6.1f} ms")
    print(f"{'4 scrapers, min_interval 1 s':36} {med['min_interval_1s']['scrapes_per_second']:8.1f} scrapes/s"
          f"  p50 {med['min_interval_1s']['p50_ms']:6.1f} ms  p99 {med['min_interval_1s']['p99_ms']:6.1f} ms")
    print(f"  ratio cached/every: {med['min_interval_1s']['scrapes_per_second'] / med['every_scrape']['scrapes_per_second']:.1f}x")
    print(f"endpoints answering after {args.delay_ms:.0f} ms:")
    print(f"  slowest single endpoint            {med['slowest_endpoint_ms']:8.1f} ms")
    print(f"  scrape, nine fetched concurrently  {med['concurrent_ms']:8.1f} ms  "
          f"= {ratio:.2f}x the slowest endpoint (target <= 1.5x: {'ok' if ratio <= 1.5 else 'MISSED'})")
    print(f"  scrape, one after another          {med['sequential_ms']:8.1f} ms  "
          f"= {med['sequential_ms'] / med['concurrent_ms']:.1f}x the concurrent scrape")
    print(f"steady RSS of the exporter           {med['rss_mb']:8.1f} MB  "
          f"(target <= 45 MB: {'ok' if med['rss_mb'] <= 45 else 'MISSED'})")
    if args.json:
        print(json.dumps({"medians": med, "runs": runs}, indent=2))


if __name__ == "__main__":
    main()
