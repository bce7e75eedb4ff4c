"""Nectar exporter against Debian's prometheus-mysqld-exporter, on one MariaDB with 2M blocks.

    .venv/bin/python bench/nectar_bench.py [--rows 2000000] [--seconds 10] [--runs 3]

Reports, side by side and as ratios: scrapes/s and p50/p99 (medians of --runs alternated
runs) with one scraper at a time (c1: every answer is a collection on both sides; the
HEADLINE ratio, target >= 20x, issue 24) and with 4 concurrent scrapers (c4: Lookout's
single flight lets a scrape join a collection in flight, so its collections are counted
from `nectar_collections_total` and the c4 ratio is Lookout's collections/s against the
peer's scrapes/s); statements per answer from the server's Questions counter during each
run; ours with a 5 s minimum interval, labelled CACHED and in no ratio (the peer has no
cache); the backend's own bound (the exchanges of one Lookout collection from a bare PyMySQL
loop, no HTTP and no runtime: what 20x would need set beside what the server alone allows);
CPU per scrape of each exporter and of MariaDB; chain-collection latency at 10k rows against
2M rows; RSS after 10,000 scrapes.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from pathlib import Path

import yaml

from common import ROOT, Scraper, counted_wrk, cpu_seconds, fair_ratios, median, mb, ms, rss_bytes, stop_all
from lookout.devstack.mariadb import MariaDB
from lookout.devstack.proc import ExporterProcess, Metrics, free_port, http_get, wait_until

PASSWORD = "bench-pw-4471"


def prepare(db: MariaDB, rows: int) -> None:
    db.execute("CREATE DATABASE nectar", f"CREATE USER 'lookout'@'%' IDENTIFIED BY '{PASSWORD}'",
               "GRANT SELECT, PROCESS, REPLICATION CLIENT ON *.* TO 'lookout'@'%'")
    for table, n in (("blocks_10k", 10_000), ("blocks", rows)):
        db.execute(f"CREATE TABLE {table} (id BIGINT AUTO_INCREMENT PRIMARY KEY, slot_no BIGINT NOT NULL, "
                   "block_no BIGINT NOT NULL, hash BINARY(32), KEY idx_slot (slot_no))",
                   # MariaDB's SEQUENCE engine makes N rows without a client round trip per row.
                   f"INSERT INTO {table} (slot_no, block_no, hash) SELECT 4492800 + seq * 20, seq, "
                   f"UNHEX(SHA2(seq, 256)) FROM seq_1_to_{n}", database="nectar")


def statements_per_scrape(db: MariaDB, scrape, n: int = 50) -> float:
    scrape()
    before = db.questions()
    for _ in range(n):
        scrape()
    return (db.questions() - before - 1) / n


def floor(db: MariaDB, seconds: float) -> dict:
    """The exchanges one Lookout collection makes on MariaDB (COM_STATISTICS, then the chain and
    processlist statements with their time limits, the exporter's own SQL), from a bare PyMySQL
    loop on one connection, one after another: collections/s and the server's CPU per
    collection. No HTTP, no threads, no rendering: the bound the backend alone sets on one
    scraper's rate."""
    import pymysql
    from pymysql.constants import COMMAND
    from lookout.exporters.runtime import Deadline
    from lookout.systems.nectar.exporter.chain import ChainCollector
    from lookout.systems.nectar.exporter.config import ChainConfig
    from lookout.systems.nectar.exporter.db import Flavour
    from lookout.systems.nectar.exporter.processlist import _sql as processlist_sql

    conn = pymysql.connect(host="127.0.0.1", port=db.port, user="lookout", password=PASSWORD, database="nectar",
                           charset="utf8mb4", autocommit=True)
    flavour = Flavour(conn.get_server_info())
    chain = ChainCollector(None, ChainConfig()).sql
    plist = processlist_sql(flavour)

    def collection() -> None:
        conn._execute_command(COMMAND.COM_STATISTICS, b"")
        conn._read_packet()
        with conn.cursor() as cur:
            for sql in (chain, plist):
                cur.execute(flavour.limited(sql, Deadline(10)))
                cur.fetchall()
    try:
        for _ in range(50):
            collection()
        n, t, c = 0, time.perf_counter(), cpu_seconds(db.proc.pid)
        while time.perf_counter() - t < seconds:
            collection()
            n += 1
        wall = time.perf_counter() - t
        return {"rate": n / wall, "server_cpu": (cpu_seconds(db.proc.pid) - c) / n}
    finally:
        conn.close()


def cpu_per_scrape(pid: int, port: int, db: MariaDB, n: int) -> tuple[float, float]:
    """CPU seconds per sequential scrape of the exporter `pid` and of MariaDB meanwhile."""
    sc = Scraper(port)
    for _ in range(10):
        sc.get()
    c, d = cpu_seconds(pid), cpu_seconds(db.proc.pid)
    for _ in range(n):
        sc.get()
    return (cpu_seconds(pid) - c) / n, (cpu_seconds(db.proc.pid) - d) / n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--runs", type=int, default=3, help="wrk runs per exporter, alternated")
    ap.add_argument("--rss-scrapes", type=int, default=10_000)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="nectar-bench-"))
    db = MariaDB(work / "db").start()
    procs = []
    try:
        t = time.time()
        prepare(db, args.rows)
        print(f"loaded {args.rows:,} rows in {time.time() - t:.0f}s")

        def exporter(name, **sections):
            cfg = {"database": {"host": "127.0.0.1", "port": db.port, "user": "lookout", "password": PASSWORD}}
            cfg.update(sections)
            path = work / f"{name}.yml"
            path.write_text(yaml.safe_dump(cfg))
            p = ExporterProcess("nectar", path, work).wait_ready()
            procs.append(p)
            return p

        ours = exporter("ours")
        cached = exporter("cached", scrape={"min_interval_seconds": 5})
        small = exporter("small", chain={"table": "blocks_10k"})

        mycnf = work / "my.cnf"
        mycnf.write_text(f"[client]\nuser=lookout\npassword={PASSWORD}\nhost=127.0.0.1\nport={db.port}\n")
        peer_port = free_port()
        peer = subprocess.Popen(["prometheus-mysqld-exporter", f"--config.my-cnf={mycnf}",
                                 f"--web.listen-address=127.0.0.1:{peer_port}",
                                 "--collect.info_schema.processlist"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(peer)
        wait_until(lambda: http_get(f"http://127.0.0.1:{peer_port}/metrics")[0] == 200, 20, what="mysqld_exporter")

        print("\n# Statements per scrape (server Questions counter)")
        s_ours = statements_per_scrape(db, Scraper(ours.port).get)
        s_peer = statements_per_scrape(db, Scraper(peer_port).get)
        print(f"lookout: {s_ours:.1f}   mysqld_exporter: {s_peer:.1f}")

        print("\n# Chain collection latency, 10k rows vs 2M rows (median of 200 scrapes)")
        lat = {}
        for name, p in (("10k", small), ("2M", ours)):
            sc = Scraper(p.port)
            durs = []
            for _ in range(200):
                body = sc.get()[1].decode()
                durs.append(Metrics(body).get("lookout_collector_duration_seconds", exporter="nectar", collector="chain"))
            lat[name] = median(durs)
        print(f"10k: {ms(lat['10k'])}   2M: {ms(lat['2M'])}   ratio 2M/10k: {lat['2M'] / lat['10k']:.2f}")

        print(f"\n# Throughput, {args.runs} x {args.seconds}s each, alternated; medians")
        print("# c1: one scraper at a time (as one Prometheus scrapes a target): every answer is a collection on")
        print("#     both sides. c4: 4 concurrent scrapers: the peer collects for each; Lookout's single flight lets")
        print("#     a scrape join a collection in flight, so its fair figure is collections/s, not scrapes/s.")
        targets = {"mysqld_exporter": (f"http://127.0.0.1:{peer_port}/metrics", None),
                   "lookout": (ours.url + "/metrics", "nectar"),
                   "lookout CACHED (min interval 5s)": (cached.url + "/metrics", "nectar")}
        cases = [(name, c) for c in (1, 4) for name in targets if c == 4 or "CACHED" not in name]
        runs = {case: [] for case in cases}
        for _ in range(args.runs):
            for case in cases:
                url, ns = targets[case[0]]
                runs[case].append(counted_wrk(url, args.seconds, case[1], ns, db.questions))
        results = {}
        for (name, c), rs in runs.items():
            r = results[(name, c)] = {k: median([x[k] for x in rs]) for k in
                                      ("rps", "p50", "p99", "statements_per_scrape", "collections_per_second")}
            r["non2xx"] = sum(x["non2xx"] for x in rs)
            per = ("collections/scrape 1 (no single flight)" if "collections" not in rs[0] else
                   "(a cache: collections not counted)" if "CACHED" in name else
                   f"collections/scrape {median([x['collections_per_scrape'] for x in rs]):.2f}  "
                   f"collections/s {r['collections_per_second']:7.1f}")
            each = " / ".join(f"{x['rps']:.0f}" for x in rs)
            print(f"c{c} {name:34s} {r['rps']:8.1f} scrapes/s ({each})  p50 {ms(r['p50'])}  p99 {ms(r['p99'])}  "
                  f"statements/scrape {r['statements_per_scrape']:.2f}  {per}  non-2xx {r['non2xx']}")
        for line in fair_ratios(results[("lookout", 1)], results[("mysqld_exporter", 1)],
                                results[("lookout", 4)], results[("mysqld_exporter", 4)], "mysqld_exporter"):
            print(line)
        print("(the cached figure serves one collection to many scrapes: no ratio against a fresh collection)")

        print(f"\n# The backend's bound: one Lookout collection's exchanges from a bare PyMySQL loop, {args.seconds}s x {args.runs}")
        floors = [floor(db, args.seconds) for _ in range(args.runs)]
        rate, server_cpu = median([f["rate"] for f in floors]), median([f["server_cpu"] for f in floors])
        need = 20 * results[("mysqld_exporter", 1)]["rps"]
        print(f"bare PyMySQL: {rate:.0f} collections/s ({1000 / rate:.2f} ms each), MariaDB CPU {ms(server_cpu)} "
              f"per collection; 20x the peer's one-scraper rate would be {need:.0f} scrapes/s ({1000 / need:.2f} ms "
              f"each), Lookout reached {results[('lookout', 1)]['rps']:.0f} ({rate / results[('lookout', 1)]['rps']:.1f}x "
              f"below the bound)")
        print("\n# CPU per scrape, sequential scrapes (utime + stime of the exporter, and of MariaDB meanwhile)")
        for name, pid, port, n in (("lookout", ours.proc.pid, ours.port, 500), ("mysqld_exporter", peer.pid, peer_port, 50)):
            own, server = cpu_per_scrape(pid, port, db, n)
            print(f"{name:16s} {ms(own)} per scrape, MariaDB {ms(server)} per scrape")

        print(f"\n# RSS over {args.rss_scrapes:,} scrapes (collect every scrape)")
        sc = Scraper(ours.port)
        for _ in range(200):
            sc.get()
        start_rss = rss_bytes(ours.proc.pid)
        for _ in range(args.rss_scrapes):
            sc.get()
        end_rss = rss_bytes(ours.proc.pid)
        peer_rss = rss_bytes(peer.pid)
        print(f"lookout after warm-up {mb(start_rss)}, after {args.rss_scrapes:,} scrapes {mb(end_rss)}, "
              f"growth {mb(end_rss - start_rss)}; mysqld_exporter {mb(peer_rss)}")
    finally:
        stop_all(procs)
        db.stop()


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
