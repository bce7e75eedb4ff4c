"""PM2 exporter: the RPC socket reader against `pm2 jlist`, and its footprint against npm's
pm2-prometheus-exporter, on one real PM2 daemon.

    .venv/bin/python bench/pm2_bench.py [--apps 5] [--rpc-calls 500] [--jlist-runs 15] [--rss-scrapes 10000]

Reports medians and ratios: collection latency (socket reader vs `pm2 jlist`, with the
peak RSS of each jlist child), steady RSS/PSS of both exporters, RSS growth over 10,000
scrapes, and where Lookout's RSS goes (interpreter, runtime, this package).
Targets (issue 4): <= 10 ms per collection with no child process. Issue 24: at most 17 MB RSS
and 12 MB PSS steady (no TLS); < 0.5 MB growth over 10,000 scrapes.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import yaml

from common import ROOT, Scraper, mb, median, ms, rss_bytes, stop_all
from lookout.pm2rpc import RpcClient
from lookout.devstack.pm2 import PM2, PM2_BIN
from lookout.devstack.proc import ExporterProcess, Metrics, free_port, http_get, wait_until

APPS = ROOT / "lookout" / "systems" / "pm2" / "tests" / "apps"
PEER = ROOT / "tests" / "node" / "node_modules" / "pm2-prometheus-exporter" / "exporter.js"


def pss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no Pss")


def children_cpu_ticks(pid: int) -> int:
    """cutime + cstime: CPU of reaped children; a Node child would add dozens of ticks."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[13]) + int(fields[14])


def p95(xs) -> float:
    return sorted(xs)[int(len(xs) * 0.95) - 1]


def rpc_latencies(socket_path: str, n: int) -> list[float]:
    client, out = RpcClient(socket_path), []
    for _ in range(n):
        t = time.perf_counter()
        procs = client.call("getMonitorData", {}, 5.0)[0]
        out.append(time.perf_counter() - t)
        assert procs, "empty process list"
    return out


def jlist_runs(pm2: PM2, n: int) -> tuple[list[float], list[int]]:
    """Wall time and peak RSS (wait4's ru_maxrss) of each `pm2 jlist` child."""
    walls, peaks = [], []
    for _ in range(n):
        t = time.perf_counter()
        child = subprocess.Popen([str(PM2_BIN), "jlist"], env=pm2.env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)
        walls.append(time.perf_counter() - t)
        child.returncode = os.waitstatus_to_exitcode(status)
        assert child.returncode == 0, "pm2 jlist failed"
        peaks.append(usage.ru_maxrss * 1024)
    return walls, peaks


def import_rss(statement: str) -> int:
    code = (f"{statement}\nimport re\nprint(re.search(r'VmRSS:\\s+(\\d+)', open('/proc/self/status').read())[1])")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout
    return int(out) * 1024


def collector_duration(body: bytes) -> float:
    # Parsed, not matched: the label order in the exposition is the runtime's choice.
    return Metrics(body.decode()).get("lookout_collector_duration_seconds", exporter="pm2", collector="processes")


def start_apps(pm2: PM2, apps: int) -> int:
    """`apps` online apps under `pm2`: the sync server (lookout/systems/pm2/tests/apps/sync-server.js, healthy)
    and idle ones; returns the sync server's port."""
    port = free_port()
    pm2.start(APPS / "sync-server.js", "rss-sync-server", "--max-memory-restart", "200M", env={"PORT": str(port)})
    if apps > 1:  # one `pm2 start` of an ecosystem file: a CLI run per app takes minutes at 200
        ecosystem = pm2.home / "idle-apps.json"
        ecosystem.write_text(json.dumps({"apps": [{"name": f"service-{i}", "script": str(APPS / "idle.js")}
                                                  for i in range(apps - 1)]}))
        pm2.run("start", str(ecosystem), timeout=600)
    wait_until(lambda: http_get(f"http://127.0.0.1:{port}/health")[0] == 200, 20)
    return port


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--apps", type=int, default=5, help="online apps under PM2 (one is the sync server)")
    ap.add_argument("--rpc-calls", type=int, default=500)
    ap.add_argument("--jlist-runs", type=int, default=15)
    ap.add_argument("--rss-scrapes", type=int, default=10_000)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="pm2-bench-"))
    pm2 = PM2(work / "pm2home")
    procs: list = []
    try:
        port = start_apps(pm2, args.apps)
        time.sleep(2)  # axm_monitor fills in
        print(f"PM2 {pm2.run('--version').stdout.strip()} with {args.apps} online apps, Python {sys.version.split()[0]}")

        cfg = work / "pm2.yml"
        cfg.write_text(yaml.safe_dump({"daemon": {"home": str(pm2.home)},
                                       "health": {"url": f"http://127.0.0.1:{port}/health"}}))
        ours = ExporterProcess("pm2", cfg, work).wait_ready()
        procs.append(ours)
        peer_port = free_port()
        # The peer reads its port from argv[1], which `node -e` leaves to the first argument.
        peer = subprocess.Popen(["node", "-e", f"require({str(PEER)!r})", str(peer_port)], env=pm2.env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(peer)
        wait_until(lambda: http_get(f"http://127.0.0.1:{peer_port}/metrics")[0] == 200, 30,
                   what="pm2-prometheus-exporter")

        print("\n# Collection latency: socket reader vs `pm2 jlist`")
        rpc = rpc_latencies(str(pm2.rpc_socket), args.rpc_calls)
        walls, peaks = jlist_runs(pm2, args.jlist_runs)
        sc = Scraper(ours.port)
        ticks_before = children_cpu_ticks(ours.proc.pid)
        scrapes = [sc.get() for _ in range(300)]
        coll = [collector_duration(body) for _, body in scrapes]
        print(f"RPC getMonitorData (in-process, {args.rpc_calls} calls): median {ms(median(rpc))}, p95 {ms(p95(rpc))}")
        print(f"exporter 'processes' collector (300 scrapes):     median {ms(median(coll))}, p95 {ms(p95(coll))}")
        print(f"exporter whole /metrics scrape (300 scrapes):     median {ms(median([d for d, _ in scrapes]))}")
        print(f"pm2 jlist ({args.jlist_runs} runs): median {ms(median(walls))}, child peak RSS median "
              f"{mb(median(peaks))} (max {mb(max(peaks))})")
        print(f"ratio jlist / RPC reader: {median(walls) / median(rpc):.0f}x; "
              f"jlist / exporter collector: {median(walls) / median(coll):.0f}x")
        print(f"exporter child processes: {len(psutil.Process(ours.proc.pid).children())}, "
              f"children CPU ticks during the scrapes: {children_cpu_ticks(ours.proc.pid) - ticks_before}")

        print("\n# Steady RSS, both exporters scraped 500 times, then sampled 10x over 5s while scraped")
        peer_sc = Scraper(peer_port)
        for _ in range(500):
            sc.get()
            peer_sc.get()
        samples = {"lookout": ([], []), "pm2-prometheus-exporter": ([], [])}
        for _ in range(10):
            for _ in range(20):
                sc.get()
                peer_sc.get()
            for name, pid in (("lookout", ours.proc.pid), ("pm2-prometheus-exporter", peer.pid)):
                samples[name][0].append(rss_bytes(pid))
                samples[name][1].append(pss_bytes(pid))
            time.sleep(0.5)
        for name, (rss, pss) in samples.items():
            print(f"{name:24s} RSS {mb(median(rss))}  PSS {mb(median(pss))}")
        ours_rss, peer_rss = (median(samples[n][0]) for n in samples)
        ours_pss = median(samples["lookout"][1])
        print(f"ratio pm2-prometheus-exporter / lookout RSS: {peer_rss / ours_rss:.2f}x "
              f"(target: lookout <= 17 MB RSS and 12 MB PSS: "
              f"{'met' if ours_rss <= 17e6 and ours_pss <= 12e6 else 'NOT met'})")

        print("\n# Where lookout's RSS goes (import only, fresh interpreter each)")
        steps = [("python", "pass"),
                 ("+ runtime", "import lookout.exporters.runtime.main"),
                 ("+ lookout.systems.pm2.exporter (psutil)", "import lookout.exporters.runtime.main, lookout.systems.pm2.exporter")]
        prev = 0
        for label, stmt in steps:
            rss = import_rss(stmt)
            print(f"{label:46s} {mb(rss)}  (+{mb(rss - prev)})")
            prev = rss

        print(f"\n# RSS over {args.rss_scrapes:,} scrapes (every scrape collects: RPC, health, host)")
        start_rss = rss_bytes(ours.proc.pid)
        lat = []
        for _ in range(args.rss_scrapes):
            lat.append(sc.get()[0])
        end_rss = rss_bytes(ours.proc.pid)
        print(f"after warm-up {mb(start_rss)}, after {args.rss_scrapes:,} scrapes {mb(end_rss)}, "
              f"growth {mb(end_rss - start_rss)} (target < 0.5 MB); scrape median {ms(median(lat))}")
    finally:
        stop_all(procs)
        pm2.kill_all()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.path.insert(0, str(Path(__file__).parent))
    main()
