"""Before and after a change, beside the Go peers, in one sitting: the Nectar and ticks exporters
of this checkout and of another (`git archive <commit> | tar -x -C DIR`), mysqld_exporter and
postgres_exporter, against one MariaDB (20k `blocks` rows) and one PostgreSQL (100k tick rows):
scrapes/s with one scraper (wrk; every answer is a collection on every side) and CPU ms per
scrape (utime + stime over sequential scrapes) of the exporter and of its database server (MariaDB's
process; PostgreSQL's postmaster, its children and the children it reaped), alternated rounds,
medians, and the load average. Then the arithmetic of a CPU-bound machine: with one scraper on
2 busy cores a scrape's rate follows the CPU it costs in all (exporter and database), so the
ratio of the two sums is the ratio the peer allows; and an HTTP round trip without a collection
(`/-/healthy`, one scraper) is the floor of the HTTP part.

    .venv/bin/python bench/throughput_ab.py DIR [--rounds 3] [--seconds 5]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from common import ROOT, Scraper, cpu_seconds, wrk
import nectar_bench
import ticks_bench
from lookout.devstack.mariadb import MariaDB
from lookout.devstack.postgres import PostgresServer
from lookout.devstack.proc import free_port, http_get, terminate, wait_until


def tree_cpu(pid: int) -> float:
    """utime + stime of `pid`, of its live children, and of the children it reaped (cutime,
    cstime: a PostgreSQL backend that ended), in seconds."""
    tick = os.sysconf("SC_CLK_TCK")
    own = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    total = sum(int(own[i]) for i in (11, 12, 13, 14))
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                f = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(f[1]) == pid:
                total += int(f[11]) + int(f[12])
    return total / tick


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("baseline", type=Path, help="the other checkout (before the change)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=5, help="wrk duration per target and round")
    args = ap.parse_args()
    old = args.baseline.resolve()
    work = Path(tempfile.mkdtemp(prefix="lk-ab-"))
    procs: list[subprocess.Popen] = []

    def spawn(cmd: list[str], env: dict | None = None, cwd: Path = ROOT) -> tuple[subprocess.Popen, int]:
        port = free_port()
        cmd = [a.replace("{port}", str(port)) for a in cmd]
        p = subprocess.Popen(cmd, cwd=cwd, env={**os.environ, **(env or {})},
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(p)
        wait_until(lambda: http_get(f"http://127.0.0.1:{port}/metrics", timeout=5)[0] == 200, 30, what=cmd[0])
        return p, port

    db = MariaDB(work / "db").start()
    pg = PostgresServer().init().start()
    try:
        nectar_bench.prepare(db, 20_000)
        ticks_bench.make_table(pg, "ticks_t", 100_000)
        ncfg, tcfg, mycnf = work / "n.yml", work / "t.yml", work / "my.cnf"
        ncfg.write_text(yaml.safe_dump({"database": {"host": "127.0.0.1", "port": db.port, "user": "lookout",
                                                     "password": nectar_bench.PASSWORD}}))
        tcfg.write_text("tables:\n  - name: ticks_t\n    instrument_column: instrument_name\n")
        mycnf.write_text(f"[client]\nuser=lookout\npassword={nectar_bench.PASSWORD}\nhost=127.0.0.1\nport={db.port}\n")
        targets = {}
        for name, root in (("before", old), ("after", ROOT)):
            for system, env in (("nectar", {}), ("ticks", {"TICKS_DATABASE__DSN": pg.dsn()})):
                targets[f"{system} {name}"] = spawn(
                    [sys.executable, "-m", f"lookout.systems.{system}.exporter",
                     "--config", str(ncfg if system == "nectar" else tcfg), "--listen", "127.0.0.1:{port}"],
                    {"PYTHONPATH": str(root), **env}, root)
        targets["mysqld_exporter"] = spawn(["prometheus-mysqld-exporter", f"--config.my-cnf={mycnf}",
                                            "--web.listen-address=127.0.0.1:{port}",
                                            "--collect.info_schema.processlist"])
        targets["postgres_exporter"] = spawn(["/usr/bin/prometheus-postgres-exporter",
                                              "--web.listen-address=127.0.0.1:{port}"],
                                             {"DATA_SOURCE_NAME": pg.dsn() + "?sslmode=disable"})
        backend = {"nectar": db.proc.pid, "mysqld_exporter": db.proc.pid,
                   "ticks": int((pg.data / "postmaster.pid").read_text().split()[0])}
        backend["postgres_exporter"] = backend["ticks"]
        res = {k: {"rps": [], "cpu": [], "db": [], "load": [], "healthy": []} for k in targets}
        for _ in range(args.rounds):  # alternated, so drift on a shared machine hits every side
            for k, (p, port) in targets.items():
                res[k]["load"].append(os.getloadavg()[0])
                res[k]["rps"].append(wrk(f"http://127.0.0.1:{port}/metrics", args.seconds,
                                         connections=1, threads=1)["rps"])
                sc = Scraper(port)
                n = 40 if "exporter" in k else 300  # the peers take about 10x longer per scrape
                server = backend[k.split()[0]]
                c0, d0 = cpu_seconds(p.pid), tree_cpu(server)
                for _ in range(n):
                    sc.get()
                res[k]["cpu"].append((cpu_seconds(p.pid) - c0) / n * 1000)
                res[k]["db"].append((tree_cpu(server) - d0) / n * 1000)
                if "exporter" not in k:
                    res[k]["healthy"].append(wrk(f"http://127.0.0.1:{port}/-/healthy", 2,
                                                 connections=1, threads=1)["rps"])
        for k, r in res.items():
            print(f"{k:18s} one scraper {statistics.median(r['rps']):7.1f} scrapes/s "
                  f"({' / '.join(f'{x:.0f}' for x in r['rps'])})  CPU {statistics.median(r['cpu']):6.2f} ms/scrape "
                  f"({' / '.join(f'{x:.2f}' for x in r['cpu'])})  database CPU {statistics.median(r['db']):5.2f} ms/scrape "
                  f"({' / '.join(f'{x:.2f}' for x in r['db'])})  load {min(r['load']):.1f}-{max(r['load']):.1f}")
            if r["healthy"]:
                print(f"{'':18s} /-/healthy, one scraper {statistics.median(r['healthy']):7.1f} requests/s "
                      f"({1000 / statistics.median(r['healthy']):.2f} ms each: the HTTP part's floor)")
        for system, peer in (("nectar", "mysqld_exporter"), ("ticks", "postgres_exporter")):
            for name in ("before", "after"):
                ratio = statistics.median(res[f"{system} {name}"]["rps"]) / statistics.median(res[peer]["rps"])
                ours = statistics.median(res[f"{system} {name}"]["cpu"]) + statistics.median(res[f"{system} {name}"]["db"])
                theirs = statistics.median(res[peer]["cpu"]) + statistics.median(res[peer]["db"])
                print(f"{system} {name}: {ratio:.1f}x {peer}, one scraper; CPU per scrape, exporter + database: "
                      f"{ours:.2f} against {theirs:.2f} ms, {theirs / ours:.1f}x (the ratio a CPU-bound machine allows)")
    finally:
        for p in procs:
            terminate(p)
        db.stop()
        pg.destroy()
        subprocess.run(["rm", "-rf", str(work)])


if __name__ == "__main__":
    main()
