"""Tick exporter benchmark, in one run against one throwaway PostgreSQL:

1. collection latency of the tick queries on a 100k-row table vs a 10M-row table holding
   the same recent rows (target: within 1.2x: the queries ride the time index);
2. transactions per scrape on both sides (pg_stat_database), then scrapes/s and p50 beside
   Debian's prometheus-postgres-exporter with one scraper at a time (c1: every answer is a
   collection on both sides; the HEADLINE ratio, target >= 20x, issue 24) and with 4
   concurrent scrapers (c4: Lookout's single flight lets a scrape join a collection in
   flight, so its collections are counted from `ticks_collections_total` and the c4 ratio is
   collections/s against the peer's scrapes/s); with --min-interval > 0 ours also runs with
   that cache, reported as such and never in a ratio against the peer's fresh collection;
3. our steady RSS after that load (target: <= 45 MB).

With --containers, only this instead: the CPU per scrape of the container and log collectors
(issue 24: at most 50 ms), the exporter with a `docker` section less the same without it,
against a collector container of the bench's own dockerd that logs a STATS line a second; each
over --scrapes sequential scrapes on one keep-alive connection, median of --runs rounds, the
exporters alternated; with --baseline DIR (`git archive <commit> | tar -x -C DIR`) another
checkout's exporter beside it in the same run, and RSS/PSS of each.

    .venv/bin/python bench/ticks_bench.py [--large 10000000] [--small 100000] [--seconds 10] [--runs 3]
    .venv/bin/python bench/ticks_bench.py --containers [--scrapes 15] [--runs 3] [--baseline DIR]

The machine is small and shared, so every figure is a median over runs, and the targets
are judged on ratios measured in the same run.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import Scraper, counted_wrk, cpu_seconds, fair_ratios, rss_bytes  # noqa: E402
from lookout.exporters.runtime import Deadline, MetricSet, Secret  # noqa: E402
from lookout.systems.ticks.exporter.config import DatabaseConfig, TableConfig  # noqa: E402
from lookout.systems.ticks.exporter.database import Database  # noqa: E402
from lookout.systems.ticks.exporter.tables import TableCollector  # noqa: E402
from lookout.devstack.docker import DockerEngine  # noqa: E402
from lookout.devstack.postgres import PostgresServer  # noqa: E402
from lookout.devstack.proc import free_port, http_get, terminate, wait_until  # noqa: E402

RECENT = 1000  # rows in the last 5 minutes, the same in both tables (200 ticks/min)


def make_table(pg: PostgresServer, name: str, rows: int) -> float:
    """`rows` ticks: RECENT in the last 4 minutes, the rest as older history, 10 per second."""
    t0 = time.monotonic()
    history = rows - RECENT
    pg.psql(f"""DROP TABLE IF EXISTS {name};
        CREATE TABLE {name} ("timestamp" timestamptz NOT NULL, instrument_name text, price float8);
        INSERT INTO {name}
          SELECT now() - interval '10 minutes' - make_interval(secs => g * 0.1), 'ETH-' || (g % 50), 1.0
          FROM generate_series(1, {history}) g;
        INSERT INTO {name}
          SELECT now() - make_interval(secs => 240.0 * g / {RECENT}), 'ETH-' || (g % 50), 1.0
          FROM generate_series(1, {RECENT}) g;
        CREATE INDEX ON {name} ("timestamp")""")
    pg.psql(f"VACUUM ANALYZE {name}")  # the visibility map lets max(ts) stay index-only
    return time.monotonic() - t0


def collection_latency(dsn: str, tables: list[str], rounds: int) -> dict[str, list[float]]:
    db = Database(DatabaseConfig(dsn=Secret(dsn), pool_size=2))
    collectors = {t: TableCollector(db, TableConfig(name=t, instrument_column="instrument_name")) for t in tables}
    times: dict[str, list[float]] = {t: [] for t in tables}
    for c in collectors.values():  # warm: connection, prepared statement, buffers
        for _ in range(20):
            c.collect(MetricSet("ticks"), Deadline(10))
    for _ in range(rounds):
        for t, c in collectors.items():  # interleaved, so background noise hits both alike
            start = time.perf_counter()
            c.collect(MetricSet("ticks"), Deadline(10))
            times[t].append(time.perf_counter() - start)
    db.close()
    return times


class Server:
    def __init__(self, args: list[str], env: dict, url: str, log: Path, cwd: Path = ROOT):
        self.url = url
        self._log = open(log, "w")
        self.proc = subprocess.Popen(args, env={**os.environ, **env}, cwd=cwd, stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        wait_until(lambda: self.proc.poll() is None and http_get(url, timeout=10)[0] == 200,
                   timeout=30, what=url)

    def stop(self) -> None:
        terminate(self.proc)
        self._log.close()


def containers_cpu(pg: PostgresServer, workdir: Path, scrapes: int, runs: int, baseline: str) -> None:
    """Part --containers (see the module's docstring)."""
    engine = DockerEngine().start()
    servers: list[Server] = []
    try:
        engine.import_busybox()
        # scripts/ws_tick_collector.py's minutely STATS line, once a second here.
        engine.run(["sh", "-c", "while :; do echo 'STATS | Ticks: 12 | Buffer: Q=1.0% T=0.0% D=0.0%'; sleep 1; done"],
                   name="eth-collector", mem_limit="64m")
        pg.psql('CREATE TABLE eth_option_quotes ("timestamp" timestamptz NOT NULL, instrument text);'
                "INSERT INTO eth_option_quotes VALUES (now(), 'ETH-1')")
        trees = {"this tree": ROOT, **({"baseline": Path(baseline).resolve()} if baseline else {})}
        targets: dict[tuple[str, bool], Server] = {}
        for tree, root in trees.items():
            for docker in (True, False):
                cfg = {"tables": [{"name": "eth_option_quotes", "instrument_column": "instrument"}]}
                if docker:
                    cfg["docker"] = {"host": engine.host, "containers": ["eth-collector"]}
                path = workdir / f"{tree.replace(' ', '-')}-{docker}.yml"
                path.write_text(json.dumps(cfg))  # JSON is YAML
                port = free_port()
                server = Server([sys.executable, "-m", "lookout.systems.ticks.exporter", "--config", str(path),
                                 "--listen", f"127.0.0.1:{port}"], {"TICKS_DATABASE__DSN": pg.dsn(), "PYTHONPATH": str(root)},
                                f"http://127.0.0.1:{port}/metrics", workdir / f"{path.stem}.log", cwd=root)
                servers.append(server)
                targets[(tree, docker)] = server
        cpu: dict[tuple[str, bool], list[float]] = {k: [] for k in targets}
        for _ in range(runs):  # alternated, so drift on a shared machine hits all alike
            for key, server in targets.items():
                scraper = Scraper(urlsplit(server.url).port)
                scraper.get()
                before = cpu_seconds(server.proc.pid)
                for _ in range(scrapes):
                    _, body = scraper.get()
                cpu[key].append((cpu_seconds(server.proc.pid) - before) / scrapes)
                if key[1] and b'lookout_collector_success{collector="containers",exporter="ticks"} 1' not in body:
                    raise RuntimeError(f"{key}: the container collector failed:\n{body.decode()[:3000]}")
        print(f"\nCPU ms per scrape ({scrapes} sequential scrapes, median of {runs}; /proc ticks of 10 ms):")
        for (tree, docker), xs in cpu.items():
            smaps = dict(line.split(":", 1) for line in
                         Path(f"/proc/{targets[(tree, docker)].proc.pid}/smaps_rollup").read_text().splitlines()[1:])
            print(f"  {tree:<10} {'with docker' if docker else 'without':<12} {statistics.median(xs) * 1000:6.2f} ms"
                  f"  RSS {smaps['Rss'].strip()}, PSS {smaps['Pss'].strip()}")
        for tree in trees:
            extra = statistics.median(cpu[(tree, True)]) - statistics.median(cpu[(tree, False)])
            print(f"  {tree}: the container and log collectors {extra * 1000:.2f} ms per scrape (target <= 50 ms)")
    finally:
        for server in servers:
            server.stop()
        engine.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--large", type=int, default=10_000_000)
    ap.add_argument("--small", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=300, help="collections per table for the latency figure")
    ap.add_argument("--seconds", type=int, default=10, help="wrk duration per run")
    ap.add_argument("--runs", type=int, default=3, help="wrk runs per exporter")
    ap.add_argument("--containers", action="store_true", help="only the container collectors' CPU per scrape")
    ap.add_argument("--scrapes", type=int, default=15, help="--containers: sequential scrapes per round")
    ap.add_argument("--baseline", default="", help="--containers: another checkout's exporter beside this one")
    ap.add_argument("--min-interval", type=float, default=0.0,
                    help="> 0: also measure ours with this scrape.min_interval_seconds (a cache; labelled, no ratio)")
    args = ap.parse_args()

    pg = PostgresServer().init().start()
    workdir = Path(tempfile.mkdtemp(prefix="lk-bench-"))
    servers: list[Server] = []
    try:
        if args.containers:
            containers_cpu(pg, workdir, args.scrapes, args.runs, args.baseline)
            return
        small, large = "ticks_small", "ticks_large"
        print(f"loading {args.small:,} and {args.large:,} rows ...", flush=True)
        print(f"  {args.small:,} rows in {make_table(pg, small, args.small):.1f}s; "
              f"{args.large:,} rows in {make_table(pg, large, args.large):.1f}s", flush=True)

        times = collection_latency(pg.dsn(), [small, large], args.rounds)
        med = {t: statistics.median(v) for t, v in times.items()}
        p90 = {t: statistics.quantiles(v, n=10)[-1] for t, v in times.items()}
        print(f"\ncollection latency, median of {args.rounds} (p90):")
        print(f"  {args.small:>12,} rows  {med[small] * 1000:7.3f} ms ({p90[small] * 1000:.3f} ms)")
        print(f"  {args.large:>12,} rows  {med[large] * 1000:7.3f} ms ({p90[large] * 1000:.3f} ms)")
        latency_ratio = med[large] / med[small]
        print(f"  ratio large/small: {latency_ratio:.2f}x (target <= 1.2x)")

        def ours_with(min_interval: float, name: str) -> Server:
            cfg = workdir / f"{name}.yml"
            cfg.write_text(f"scrape:\n  min_interval_seconds: {min_interval}\n"
                           f"tables:\n  - name: {large}\n    instrument_column: instrument_name\n")
            port = free_port()
            server = Server([sys.executable, "-m", "lookout.systems.ticks.exporter", "--config", str(cfg), "--listen",
                             f"127.0.0.1:{port}"], {"TICKS_DATABASE__DSN": pg.dsn(), "PYTHONPATH": str(ROOT)},
                            f"http://127.0.0.1:{port}/metrics", workdir / f"{name}.log")
            servers.append(server)
            return server

        exporters = {"ours": ours_with(0, "ours")}
        if args.min_interval > 0:
            exporters["cached"] = ours_with(args.min_interval, "cached")
        peer_port = free_port()
        exporters["peer"] = Server(["/usr/bin/prometheus-postgres-exporter", f"--web.listen-address=127.0.0.1:{peer_port}"],
                                   {"DATA_SOURCE_NAME": pg.dsn() + "?sslmode=disable"},
                                   f"http://127.0.0.1:{peer_port}/metrics", workdir / "peer.log")
        servers.append(exporters["peer"])
        ours = exporters["ours"]
        # The rows in the window, read by the database just before and just after the scrape:
        # on a slow machine loading takes minutes and the oldest "recent" rows age out of it.
        in_window = f"""SELECT count(*) FROM {large} WHERE "timestamp" >= now() - interval '300 seconds'"""
        before = int(pg.psql(in_window))
        body = http_get(ours.url)[2]
        after = int(pg.psql(in_window))
        shown = float(re.search(rf'^ticks_table_window_ticks{{table="{large}"}} (\S+)$', body, re.M).group(1))
        assert after <= shown <= before and shown > 0, (before, shown, after)

        def xacts() -> int:
            return int(pg.psql("SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = 'postgres'"))

        # Backends send their statistics at most once a second, and an idle one 10 s after its
        # last transaction at the latest: count over sequential scrapes, then wait that out.
        print("\ntransactions per scrape (pg_stat_database commits + rollbacks over 200 sequential scrapes):")
        time.sleep(11)  # what the start-up scrapes left pending
        for name in ("ours", "peer"):
            before = xacts()
            for _ in range(200):
                http_get(exporters[name].url)
            time.sleep(11)
            print(f"  {name}: {(xacts() - before - 1) / 200:.2f}")

        cases = [(name, c) for c in (1, 4) for name in ("peer", "ours", "cached") if name in exporters
                 and (c == 4 or name != "cached")]
        results = {case: [] for case in cases}
        for _ in range(args.runs):  # alternated, so drift on a shared machine hits both
            for name, c in cases:
                r = counted_wrk(exporters[name].url, args.seconds, c, None if name == "peer" else "ticks")
                if r["non2xx"]:
                    raise RuntimeError(f"{name} answered {r['non2xx']} errors under load")
                results[(name, c)].append(r)
        rss = []
        for _ in range(5):
            rss.append(rss_bytes(ours.proc.pid))
            time.sleep(0.5)
        print(f"\nthroughput, {args.runs} x {args.seconds}s alternated, medians. c1: one scraper at a time (as one "
              "Prometheus scrapes a target),\nevery answer a collection on both sides; c4: 4 concurrent scrapers: the "
              "peer collects for each,\nLookout's single flight lets a scrape join a collection in flight, so its fair "
              "figure is collections/s.")
        row = {}
        labels = {"ours": "lookout-ticks",
                  "cached": f"lookout-ticks CACHED (min interval {args.min_interval:g}s)",
                  "peer": "prometheus-postgres-exporter"}
        for (name, c), rs in results.items():
            r = row[(name, c)] = {k: statistics.median(x[k] for x in rs) for k in
                                  ("rps", "p50", "collections_per_second")}
            runs = " / ".join(f"{x['rps']:.0f}" for x in rs)
            per = (f"collections/scrape {statistics.median(x['collections_per_scrape'] for x in rs):.2f}  "
                   f"collections/s {r['collections_per_second']:7.1f}" if name != "peer"
                   else "collections/scrape 1 (no single flight)")
            print(f"  c{c} {labels[name]:<44} {r['rps']:8.0f} scrapes/s ({runs})  p50 {r['p50'] * 1000:7.3f} ms  "
                  f"{per}")
        for line in fair_ratios(row[("ours", 1)], row[("peer", 1)], row[("ours", 4)], row[("peer", 4)],
                                "postgres_exporter"):
            print(f"  {line}")
        if ("cached", 4) in row:
            print("  (the cached figure serves one collection to many scrapes: no ratio against a fresh collection)")
        steady = statistics.median(rss)
        print(f"\nsteady RSS after load: lookout-ticks {steady / 2**20:.1f} MiB (target <= 45 MB); "
              f"prometheus-postgres-exporter {rss_bytes(exporters['peer'].proc.pid) / 2**20:.1f} MiB")
    finally:
        for s in servers:
            s.stop()
        pg.destroy()
        subprocess.run(["rm", "-rf", str(workdir)])


if __name__ == "__main__":
    main()
