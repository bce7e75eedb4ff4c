"""Memory and start-up of Lookout's four exporters beside their peers, in one run (issue 24).

Memory and CPU are measured on Lookout's exporters as installed on a host (the wheel's console
scripts, below), and with `--checkout` also as the developer's editable checkout runs them.

Live backends (MariaDB with Nectar's `blocks`, PostgreSQL with a tick table, PM2 with `--apps`
apps, the TBURN simulator); each Lookout exporter twice, with its default configuration and with
a web-config (TLS and a bcrypt cost-10 basic-auth user); beside them Debian's
prometheus-mysqld-exporter and prometheus-postgres-exporter and npm's pm2-prometheus-exporter
(tests/node). Every exporter is scraped `--scrapes` times one after another, as Prometheus does
(one kept-alive connection, collecting on every scrape: no minimum interval anywhere), then RSS
and PSS are read from /proc/<pid>/smaps_rollup (median of 5 reads); growth is RSS after all
scrapes minus RSS after the first 200, and the table shows how much of it came in the second
half of the scrapes: a leak grows as much in each half, memory still settling (malloc's
per-thread arenas and pymalloc's arenas reaching their high-water marks) mostly in the first.
CPU is the process's user+system time over the scrapes.

Start-up: process start to the first 200 answer on /metrics (polled every 2 ms), median of
`--starts` starts per exporter, default configuration, after the memory table's exporters and
peers (eleven processes in a default run) have been stopped, the backends staying up: a host
starting an exporter does not have them running beside it. Run two ways: as a host runs it (the
`lookout-<key>` console script of the wheel, installed without pip into a throwaway venv whose
dependencies are this venv's, run outside the checkout without PYTHONPATH; pip compiled its
bytecode at install), and as a developer's checkout does (`python -m` under the editable install,
whose import finder costs about 25 ms of CPU before the first line of Lookout runs, and whose
revision comes from `git rev-parse`). The checkout's bytecode is cached in the work directory
(one unmeasured start writes it), so that a PYTHONDONTWRITEBYTECODE in the environment does not
add a compile of every module to each start. The target (100 ms) is the installed figure. The
CPU used until the first answer is given twice: /proc/<pid>/stat's utime + stime (10 ms ticks)
and the sum of the live threads' /proc/<pid>/task/*/schedstat (nanoseconds), which shows a
change of a few ms that the ticks round away.
`--startup-only` skips the memory and CPU table; `--systems pm2,...` measures memory for those
exporters only (and the peers beside them). `--baseline DIR` adds another tree's wheel (`git archive
<commit> | tar -x -C DIR`: before and after a change in one run): its start-up, alternated with this
checkout's, and its memory rows at the default configuration and with the web-config.

    .venv/bin/python bench/footprint.py [--scrapes 10000] [--starts 5] [--apps 5] [--startup-only] [--checkout]
        [--systems nectar,ticks,pm2,tburn] [--baseline DIR]
"""
from __future__ import annotations

import argparse
import base64
import http.client
import os
import shutil
import socket
import ssl
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

import bcrypt
import yaml

from common import ROOT, median, stop_all
from lookout.devstack.certs import make_ca, make_leaf
from lookout.devstack.mariadb import MariaDB
from lookout.devstack.pm2 import PM2
from lookout.devstack.postgres import PostgresServer
from lookout.devstack.proc import ExporterProcess, free_port, http_get, wait_until
from lookout.devstack.simulator import SimulatorProcess
from pm2_bench import PEER as PM2_PEER, start_apps

DB_PASSWORD = "footprint-db-pw"
COOKIE = "connect.sid=lookout-demo-session"  # the simulator's default session
SCRAPE_USER, SCRAPE_PASS = "prometheus", "footprint-scrape-pw"
TICKS_TABLE = "eth_option_quotes"
WARM = 200


def smaps(pid: int) -> tuple[float, float]:
    """(RSS, PSS) in MB from smaps_rollup."""
    d = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        key, value = line.split(":", 1)
        d[key] = int(value.split()[0]) * 1024
    return d["Rss"] / 1e6, d["Pss"] / 1e6


def cpu_seconds(pid: int) -> float:
    parts = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")


class Scrapes:
    """Sequential scrapes over one kept-alive connection (TLS and basic auth when given)."""

    def __init__(self, port: int, context: ssl.SSLContext | None = None, auth: str = ""):
        self.conn = (http.client.HTTPSConnection("127.0.0.1", port, timeout=30, context=context) if context
                     else http.client.HTTPConnection("127.0.0.1", port, timeout=30))
        self.headers = {"Authorization": auth} if auth else {}

    def get(self) -> int:
        self.conn.request("GET", "/metrics", headers=self.headers)
        resp = self.conn.getresponse()
        resp.read()
        return resp.status


def measure(name: str, pid: int, scrapes: Scrapes, n: int) -> dict:
    assert scrapes.get() == 200, name
    for _ in range(WARM):
        scrapes.get()
    warm_rss = smaps(pid)[0]
    cpu0 = cpu_seconds(pid)
    for _ in range(n // 2):
        scrapes.get()
    mid_rss = smaps(pid)[0]
    for _ in range(n - n // 2):
        scrapes.get()
    cpu = cpu_seconds(pid) - cpu0
    reads = []
    for _ in range(5):
        reads.append(smaps(pid))
        time.sleep(0.2)
    rss, pss = median([r[0] for r in reads]), median([r[1] for r in reads])
    return {"name": name, "rss": rss, "pss": pss, "growth": rss - warm_rss, "late": rss - mid_rss,
            "cpu_ms": cpu / n * 1000}


def task_cpu_seconds(pid: int) -> float:
    """The CPU time of the process's live threads, to the nanosecond (/proc/<pid>/task/*/schedstat):
    /proc/<pid>/stat counts in 10 ms ticks, too coarse for a start-up of about 60 ms. A thread
    that already ended is not counted (the exporters' collector and request threads are kept)."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            total += int(Path(f"/proc/{pid}/task/{tid}/schedstat").read_text().split()[0])
        except (OSError, IndexError, ValueError):
            pass
    return total / 1e9


def first_answer(cmd: list[str], port: int, env: dict, path: str = "/metrics", cwd: Path = ROOT) -> float:
    """Seconds from Popen to the first 200 answer on `path`; the process's CPU seconds until then
    go to CPU_AT_FIRST_ANSWER in ticks, and to TASK_CPU_AT_FIRST_ANSWER to the nanosecond (on a
    loaded machine the wall time includes waiting for a core; the CPU time does not)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.perf_counter() - t0 < 30:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                    s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
                    if s.recv(12)[9:12] == b"200":
                        elapsed = time.perf_counter() - t0
                        CPU_AT_FIRST_ANSWER.append(cpu_seconds(proc.pid))
                        TASK_CPU_AT_FIRST_ANSWER.append(task_cpu_seconds(proc.pid))
                        return elapsed
            except OSError:
                time.sleep(0.002)
        raise TimeoutError(" ".join(cmd))
    finally:
        proc.terminate()
        proc.wait(10)


CPU_AT_FIRST_ANSWER: list[float] = []
TASK_CPU_AT_FIRST_ANSWER: list[float] = []


def installed(work: Path, root: Path = ROOT) -> Path:
    """A throwaway venv holding the wheel built from the checkout at `root` (as tests/packaging/test_wheel.py
    builds it); its dependencies are this venv's site-packages, named by a .pth path line (a path
    line's own .pth files are not run, so the editable install's finder is not loaded there)."""
    src = work / "wheel-src"
    src.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy2(root / name, src / name)
    shutil.copytree(root / "lookout", src / "lookout", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True).stdout.strip()
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(work / "dist"), str(src)],
                   cwd=work, check=True, env={**os.environ, "LOOKOUT_REVISION": head or "unknown"})
    venv = work / "wheel-venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "-q",
                    "--no-deps", "--disable-pip-version-check", str(next((work / "dist").glob("lookout-*.whl")))],
                   cwd=work, check=True)
    site = Path(subprocess.run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "lookout-bench-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scrapes", type=int, default=10_000)
    ap.add_argument("--starts", type=int, default=5)
    ap.add_argument("--apps", type=int, default=5)
    ap.add_argument("--startup-only", action="store_true", help="skip the memory and CPU table")
    ap.add_argument("--checkout", action="store_true",
                    help="also measure memory under the editable checkout (python -m), beside the installed wheel")
    ap.add_argument("--systems", default="nectar,ticks,pm2,tburn", help="the exporters whose memory is measured")
    ap.add_argument("--baseline", metavar="DIR", help="another tree (before a change) measured beside this one")
    args = ap.parse_args()
    memory_systems = set(args.systems.split(","))
    load_at_start = os.getloadavg()
    work = Path(tempfile.mkdtemp(prefix="footprint-"))
    procs: list = []  # the backends' processes (the TBURN simulator)
    measured: list = []  # the exporters and peers of the memory table
    db = pg = pm2 = None
    try:
        db = MariaDB(work / "db").start()
        db.execute("CREATE DATABASE nectar", f"CREATE USER 'lookout'@'%' IDENTIFIED BY '{DB_PASSWORD}'",
                   "GRANT SELECT, PROCESS, REPLICATION CLIENT ON *.* TO 'lookout'@'%'")
        db.execute("CREATE TABLE blocks (id BIGINT AUTO_INCREMENT PRIMARY KEY, slot_no BIGINT NOT NULL, "
                   "block_no BIGINT NOT NULL, KEY idx_slot (slot_no))",
                   "INSERT INTO blocks (slot_no, block_no) SELECT 4492800 + seq * 20, seq FROM seq_1_to_10000",
                   database="nectar")
        pg = PostgresServer().init().start()
        pg.psql("CREATE DATABASE ticks")
        pg.psql(f'CREATE TABLE {TICKS_TABLE} ("timestamp" timestamptz NOT NULL, instrument_name text, price float8);'
                f'INSERT INTO {TICKS_TABLE} SELECT now() - i * interval \'1 second\', \'ETH-\' || (i % 20), 1 '
                f'FROM generate_series(1, 10000) i', database="ticks")
        pm2 = PM2(work / "pm2home")
        health_port = start_apps(pm2, args.apps)
        sim = SimulatorProcess(work, ["--seed", "1", "--log-level", "warning"]).wait_ready()
        procs.append(sim)
        cookie = work / "cookie"
        cookie.write_text(COOKIE + "\n")
        cookie.chmod(0o600)

        configs = {
            "nectar": {"database": {"host": "127.0.0.1", "port": db.port, "user": "lookout", "password": DB_PASSWORD}},
            "ticks": {"database": {"dsn": pg.dsn(database="ticks")}},
            "pm2": {"daemon": {"home": str(pm2.home)}, "health": {"url": f"http://127.0.0.1:{health_port}/health"}},
            "tburn": {"base_url": sim.url, "auth": {"cookie_file": str(cookie)}},
        }
        ca = make_ca(work / "pki")
        crt, key = make_leaf(work / "pki", ca, "exporter", dns=["localhost"], ips=["127.0.0.1"])
        web = work / "web.yml"
        web.write_text(yaml.safe_dump({
            "tls_server_config": {"cert_file": str(crt), "key_file": str(key)},
            "basic_auth_users": {SCRAPE_USER: bcrypt.hashpw(SCRAPE_PASS.encode(), bcrypt.gensalt(10)).decode()}}))
        tls_ctx = ssl.create_default_context(cafile=str(ca[0]))
        auth = "Basic " + base64.b64encode(f"{SCRAPE_USER}:{SCRAPE_PASS}".encode()).decode()

        rows = []
        venv = installed(work)
        base_venv = None
        if args.baseline:
            (work / "baseline").mkdir()
            base_venv = installed(work / "baseline", Path(args.baseline).resolve())
        for ns, cfg in configs.items():
            path = work / f"{ns}.yml"
            path.write_text(yaml.safe_dump(cfg))
            if args.startup_only or ns not in memory_systems:
                continue
            if base_venv:
                base = ExporterProcess(ns, path, work, command=[str(base_venv / "bin" / f"lookout-{ns}")])
                base.log_path = work / f"{ns}-baseline.log"
                measured.append(base)
                base.wait_ready()
                rows.append(measure(f"lookout-{ns} (baseline {args.baseline})", base.proc.pid, Scrapes(base.port),
                                    args.scrapes))
                base_tls = ExporterProcess(ns, path, work, extra_args=["--web.config.file", str(web)], tls=True,
                                           command=[str(base_venv / "bin" / f"lookout-{ns}")])
                base_tls.log_path = work / f"{ns}-baseline-tls.log"
                measured.append(base_tls)
                base_tls.wait_ready(context=tls_ctx)
                rows.append(measure(f"lookout-{ns} (baseline {args.baseline}, TLS + basic auth)", base_tls.proc.pid,
                                    Scrapes(base_tls.port, tls_ctx, auth), args.scrapes))
            script = [str(venv / "bin" / f"lookout-{ns}")]
            if args.checkout:
                dev = ExporterProcess(ns, path, work)
                dev.log_path = work / f"{ns}-checkout.log"
                measured.append(dev)
                dev.wait_ready()
                rows.append(measure(f"lookout-{ns} (editable checkout, python -m)", dev.proc.pid, Scrapes(dev.port),
                                    args.scrapes))
            plain = ExporterProcess(ns, path, work, command=script)
            measured.append(plain)
            plain.wait_ready()
            rows.append(measure(f"lookout-{ns}", plain.proc.pid, Scrapes(plain.port), args.scrapes))
            tls = ExporterProcess(ns, path, work, extra_args=["--web.config.file", str(web)], tls=True, command=script)
            tls.log_path = work / f"{ns}-tls.log"
            measured.append(tls)
            tls.wait_ready(context=tls_ctx)
            rows.append(measure(f"lookout-{ns} (TLS + basic auth)", tls.proc.pid,
                                Scrapes(tls.port, tls_ctx, auth), args.scrapes))

        mycnf = work / "my.cnf"
        mycnf.write_text(f"[client]\nuser=lookout\npassword={DB_PASSWORD}\nhost=127.0.0.1\nport={db.port}\n")
        peers = {
            "prometheus-mysqld-exporter": (lambda port: ["prometheus-mysqld-exporter", f"--config.my-cnf={mycnf}",
                                                         f"--web.listen-address=127.0.0.1:{port}"], {}),
            "prometheus-postgres-exporter": (lambda port: ["prometheus-postgres-exporter",
                                                           f"--web.listen-address=127.0.0.1:{port}"],
                                             {"DATA_SOURCE_NAME": pg.dsn(database="ticks") + "?sslmode=disable"}),
        }
        peer_of = {"prometheus-mysqld-exporter": "nectar", "prometheus-postgres-exporter": "ticks"}
        if PM2_PEER.exists():
            peers["npm pm2-prometheus-exporter"] = (lambda port: ["node", "-e", f"require({str(PM2_PEER)!r})", str(port)],
                                                    dict(pm2.env))
        for name, (cmd, env) in ([] if args.startup_only else peers.items()):
            if peer_of.get(name, "pm2") not in memory_systems:
                continue
            port = free_port()
            peer = subprocess.Popen(cmd(port), env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
            measured.append(peer)
            wait_until(lambda: http_get(f"http://127.0.0.1:{port}/metrics")[0] == 200, 30, what=name)
            rows.append(measure(name, peer.pid, Scrapes(port), args.scrapes))

        # A host starting an exporter does not run the memory table's exporters and peers beside
        # it: they are stopped before the start-up table (the backends stay up).
        stop_all(measured)
        measured.clear()
        starts, cpu, task_cpu = {}, {}, {}
        env = {**{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
               "PYTHONPATH": str(ROOT), "PYTHONPYCACHEPREFIX": str(work / "pycache")}
        host_env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        for ns in configs:
            flags = ["--config", str(work / f"{ns}.yml")]
            port = free_port()
            first_answer([sys.executable, "-m", f"lookout.systems.{ns}.exporter", *flags,
                          "--web.listen-address", f"127.0.0.1:{port}"], port, env)  # writes the bytecode cache
            # Alternated, so that both ways see the same load.
            host, checkout, before = [], [], []
            for key in (f"lookout-{ns}", f"lookout-{ns} (editable checkout, python -m)", f"lookout-{ns} (baseline)"):
                cpu[key], task_cpu[key] = [], []
            for _ in range(args.starts):
                port = free_port()
                host.append(first_answer([str(venv / "bin" / f"lookout-{ns}"), *flags, "--web.listen-address",
                                          f"127.0.0.1:{port}"], port, host_env, cwd=work))
                cpu[f"lookout-{ns}"].append(CPU_AT_FIRST_ANSWER[-1])
                task_cpu[f"lookout-{ns}"].append(TASK_CPU_AT_FIRST_ANSWER[-1])
                if base_venv:
                    port = free_port()
                    before.append(first_answer([str(base_venv / "bin" / f"lookout-{ns}"), *flags,
                                                "--web.listen-address", f"127.0.0.1:{port}"], port, host_env, cwd=work))
                    cpu[f"lookout-{ns} (baseline)"].append(CPU_AT_FIRST_ANSWER[-1])
                    task_cpu[f"lookout-{ns} (baseline)"].append(TASK_CPU_AT_FIRST_ANSWER[-1])
                port = free_port()
                checkout.append(first_answer([sys.executable, "-m", f"lookout.systems.{ns}.exporter", *flags,
                                              "--web.listen-address", f"127.0.0.1:{port}"], port, env))
                cpu[f"lookout-{ns} (editable checkout, python -m)"].append(CPU_AT_FIRST_ANSWER[-1])
                task_cpu[f"lookout-{ns} (editable checkout, python -m)"].append(TASK_CPU_AT_FIRST_ANSWER[-1])
            starts[f"lookout-{ns}"] = host
            if base_venv:
                starts[f"lookout-{ns} (baseline)"] = before
            starts[f"lookout-{ns} (editable checkout, python -m)"] = checkout
        for name, (cmd, penv) in peers.items():
            times = []
            for _ in range(args.starts):
                port = free_port()
                times.append(first_answer(cmd(port), port, {**os.environ, **penv}))
            starts[name] = times
            cpu[name] = CPU_AT_FIRST_ANSWER[-args.starts:]
            task_cpu[name] = TASK_CPU_AT_FIRST_ANSWER[-args.starts:]

        load = os.getloadavg()
        print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average at the start "
              f"{load_at_start[0]:.1f} {load_at_start[1]:.1f} {load_at_start[2]:.1f}, at the end {load[0]:.1f} {load[1]:.1f} "
              f"{load[2]:.1f}; " + ("start-up only" if args.startup_only else f"{args.scrapes:,} scrapes each")
              + f", PM2 with {args.apps} apps\n")
        if rows:
            print("lookout-<key>: the wheel's console script in a venv, as installed on a host.\n")
            print(f"| process | RSS MB | PSS MB | growth MB over {args.scrapes:,} scrapes | of which in the last "
                  f"{args.scrapes - args.scrapes // 2:,} | CPU ms/scrape |")
            print("|---|---|---|---|---|---|")
            for r in rows:
                print(f"| {r['name']} | {r['rss']:.1f} | {r['pss']:.1f} | {r['growth']:+.2f} | {r['late']:+.2f} "
                      f"| {r['cpu_ms']:.2f} |")
        print(f"\nStart-up, process start to first /metrics answer (median of {args.starts}); lookout-<key> is the "
              f"wheel's console script in a venv, as installed on a host:\n")
        print("| process | median ms | min ms | max ms | CPU ms until then (median, 10 ms ticks) "
              "| CPU ms until then (median, live threads' schedstat) |")
        print("|---|---|---|---|---|---|")
        for name, times in starts.items():
            print(f"| {name} | {median(times) * 1000:.0f} | {min(times) * 1000:.0f} | {max(times) * 1000:.0f} "
                  f"| {median(cpu[name]) * 1000:.0f} | {median(task_cpu[name]) * 1000:.1f} |")
    finally:
        stop_all(measured)
        stop_all(procs)
        if pm2:
            pm2.kill_all()
        if pg:
            pg.stop()
        if db:
            db.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
