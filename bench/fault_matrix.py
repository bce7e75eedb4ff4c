"""Fault matrix (issue 12): every exporter against each backend fault, side by side with Debian's
prometheus-mysqld-exporter and prometheus-postgres-exporter, in one run.

    .venv/bin/python bench/fault_matrix.py [--scrapes 8] [--timeout 2] [--only pm2,...]

Faults: the backend frozen with kill -STOP (then -CONT), and a TCP peer that accepts and never
answers in the backend's place. The PM2 exporter has the frozen PM2 daemon only, beside npm's
pm2-prometheus-exporter on the same daemon: its backend is a Unix socket, and a stopped daemon's
socket already is a peer that accepts and never answers (the kernel queues the connection).
npm's exporter has no exporter-wide `up`: its stale-as-fresh column counts answers that still
list the sync server online, and its recovery is its first answer that does. Per cell: share of scrapes answered within the scrape timeout
(target 100%), crashes (0), stale-as-fresh answers (`up` 1 while the backend cannot answer: 0),
recovery time after the fault ends (target <= reconnect backoff + one scrape), and fd, thread and
RSS growth from before the fault to after recovery. Runs in about three to four minutes.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lookout.devstack.mariadb import MariaDB  # noqa: E402
from lookout.devstack.pm2 import PM2  # noqa: E402
from lookout.devstack.postgres import PostgresServer  # noqa: E402
from lookout.devstack.proc import free_port, terminate, wait_until, write_yaml  # noqa: E402
from lookout.devstack.silent_peer import SilentPeer  # noqa: E402
from lookout.devstack.simulator import SimulatorProcess  # noqa: E402
from pm2_bench import PEER as PM2_PEER, start_apps  # noqa: E402

PASSWORD = "bench-Faults-pw-3312"
DB, TABLE = "crypto_data", "eth_option_quotes"
BACKOFF = 1.0  # reconnect_max_backoff_seconds given to Lookout's exporters


@dataclass
class Running:
    proc: subprocess.Popen
    url: str
    log: Path


def _spawn(args: list[str], workdir: Path, name: str, env: dict | None = None) -> Running:
    port = free_port()
    log = workdir / f"{name}.log"
    args = [a.replace("{port}", str(port)) for a in args]
    proc = subprocess.Popen(args, cwd=ROOT, stdout=open(log, "w"), stderr=subprocess.STDOUT,
                            env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})
    run = Running(proc, f"http://127.0.0.1:{port}/metrics", log)
    wait_until(lambda: proc.poll() is None and _listening(port), 20, 0.2, what=name)
    return run


def lookout(domain: str, config: dict, env: dict | None = None):
    def start(workdir: Path) -> Running:
        path = write_yaml(workdir / f"{domain}.yml", config)
        return _spawn([sys.executable, "-m", f"lookout.systems.{domain}.exporter", "--listen", "127.0.0.1:{port}",
                       "--config", str(path)], workdir, f"lookout-{domain}", env)
    return start


def npm_pm2_exporter(pm2: PM2):
    def start(workdir: Path) -> Running:
        return _spawn(["node", "-e", f"require({str(PM2_PEER)!r})", "{port}"], workdir, "npm-pm2-exporter",
                      {k: v for k, v in pm2.env.items() if k.startswith("PM2_")})
    return start


def mysqld_exporter(port: int):
    def start(workdir: Path) -> Running:
        cnf = workdir / "my.cnf"
        cnf.write_text(f"[client]\nuser=lookout\npassword={PASSWORD}\nhost=127.0.0.1\nport={port}\n")
        return _spawn(["prometheus-mysqld-exporter", f"--config.my-cnf={cnf}", "--web.listen-address=127.0.0.1:{port}"],
                      workdir, "mysqld-exporter")
    return start


def postgres_exporter(dsn: str):
    def start(workdir: Path) -> Running:
        return _spawn(["prometheus-postgres-exporter", "--web.listen-address=127.0.0.1:{port}"], workdir,
                      "postgres-exporter", {"DATA_SOURCE_NAME": dsn})
    return start


def _listening(port: int) -> bool:
    # Not /metrics: an exporter whose backend hangs may never answer it (that is measured later).
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        return True
    return False


def _get(url: str, timeout_header: float | None, client_timeout: float) -> tuple[int, str]:
    headers = {"X-Prometheus-Scrape-Timeout-Seconds": str(timeout_header)} if timeout_header else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=client_timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, ""
    except OSError:
        return 0, ""


def _value(body: str, metric: str) -> float | None:
    """The value of the first sample named `metric`; `name{label="v"}` matches a labelled
    sample whose labels start with those (prom-client prints them in declaration order)."""
    for line in body.splitlines():
        if line.startswith(metric + " ") or ("{" in metric and line.startswith(metric[:-1] + ",")):
            return float(line.rsplit(None, 1)[1])
    return None


def _usage(pid: int) -> tuple[int, int, int]:
    status = Path(f"/proc/{pid}/status").read_text()
    rss = next(int(line.split()[1]) * 1024 for line in status.splitlines() if line.startswith("VmRSS:"))
    return len(os.listdir(f"/proc/{pid}/fd")), len(os.listdir(f"/proc/{pid}/task")), rss


def run_cell(start: Callable[[Path], Running], up_metric: str, fault_on, fault_off, args, workdir: Path) -> dict:
    run = start(workdir)
    try:
        for _ in range(3):
            _get(run.url, args.timeout, args.timeout * 5)
        before = _usage(run.proc.pid)
        fault_on()
        answered = stale = 0
        try:
            for _ in range(args.scrapes):
                t0 = time.monotonic()
                status, body = _get(run.url, args.timeout, args.timeout * 5)
                took = time.monotonic() - t0
                answered += status == 200 and took < args.timeout
                stale += _value(body, up_metric) == 1
                time.sleep(max(0.2 - took, 0))
        finally:
            ended = time.monotonic()
            fault_off()
        recovery = None
        if fault_off is not _never:
            deadline = ended + 30
            while time.monotonic() < deadline:
                if _value(_get(run.url, args.timeout, args.timeout * 5)[1], up_metric) == 1:
                    recovery = time.monotonic() - ended
                    break
                time.sleep(0.25)
        crashed = run.proc.poll() is not None
        after = _usage(run.proc.pid) if not crashed else before
        return {"answered": answered / args.scrapes, "stale": stale, "crashed": int(crashed),
                "recovery": recovery, "fds": after[0] - before[0], "threads": after[1] - before[1],
                "rss": after[2] - before[2], "recovers": fault_off is not _never}
    finally:
        terminate(run.proc, timeout=10)


def _never():
    pass


@contextlib.contextmanager
def backends(workdir: Path):
    maria = MariaDB(workdir / "mariadb").start()
    maria.execute("CREATE DATABASE nectar", f"CREATE USER 'lookout'@'%' IDENTIFIED BY '{PASSWORD}'",
                  "GRANT SELECT, PROCESS, REPLICATION CLIENT ON *.* TO 'lookout'@'%'")
    maria.execute("CREATE TABLE blocks (slot_no BIGINT, block_no BIGINT, KEY (slot_no))",
                  "INSERT INTO blocks VALUES (50000000, 6000000)", database="nectar")
    pg = PostgresServer().init().start()
    pg.psql(f"CREATE DATABASE {DB}")
    pg.psql(f'CREATE TABLE {TABLE} ("timestamp" timestamptz NOT NULL, instrument_name text, price float8)', database=DB)
    sim = SimulatorProcess(workdir).wait_ready()
    pm2 = PM2(workdir / "pm2home")
    try:
        start_apps(pm2, 2)
        yield maria, pg, sim, pm2
    finally:
        for pid in _pg_pids(pg) + [maria.proc.pid, sim.proc.pid, pm2.daemon_pid()]:
            with contextlib.suppress(ProcessLookupError, TypeError):
                os.kill(pid, signal.SIGCONT)
        pm2.kill_all()
        sim.stop()
        maria.stop()
        pg.destroy()


def _pg_pids(pg: PostgresServer) -> list[int]:
    try:
        postmaster = int((pg.data / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError):
        return []
    children = subprocess.run(["pgrep", "-P", str(postmaster)], capture_output=True, text=True).stdout.split()
    return [postmaster, *map(int, children)]


def _signal(pids: Callable[[], list[int]], sig) -> Callable[[], None]:
    def send():
        for pid in pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
    return send


def nectar_cfg(port: int) -> dict:
    return {"database": {"host": "127.0.0.1", "port": port, "user": "lookout", "password": PASSWORD,
                         "database": "nectar", "reconnect_max_backoff_seconds": BACKOFF}}


def ticks_cfg() -> dict:
    return {"database": {"reconnect_max_backoff_seconds": BACKOFF}, "tables": [{"name": TABLE}]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scrapes", type=int, default=8, help="scrapes during each fault")
    parser.add_argument("--timeout", type=float, default=2.0, help="scrape timeout header, seconds")
    parser.add_argument("--only", default="", help="comma-separated words: only the cells whose exporter or fault "
                                                   "contains one (e.g. pm2)")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="lk-faults-") as tmp, backends(Path(tmp)) as (maria, pg, sim, pm2):
        work = Path(tmp)
        pg_dsn = lambda port: f"postgresql://postgres:{pg.password}@127.0.0.1:{port}/{DB}?sslmode=disable"  # noqa: E731
        maria_pid = lambda: [maria.proc.pid]  # noqa: E731
        pg_pids = lambda: _pg_pids(pg)  # noqa: E731
        sim_pid = lambda: [sim.proc.pid]  # noqa: E731
        pm2_pid = lambda: [pm2.daemon_pid()]  # noqa: E731
        frozen = [
            ("lookout-nectar", "frozen MariaDB", lookout("nectar", nectar_cfg(maria.port)), "nectar_up", maria_pid),
            ("mysqld-exporter", "frozen MariaDB", mysqld_exporter(maria.port), "mysql_up", maria_pid),
            ("lookout-ticks", "frozen PostgreSQL", lookout("ticks", ticks_cfg(), {"TICKS_DATABASE__DSN": pg_dsn(pg.port)}),
             "ticks_up", pg_pids),
            ("postgres-exporter", "frozen PostgreSQL", postgres_exporter(pg_dsn(pg.port)), "pg_up", pg_pids),
            ("lookout-tburn", "frozen TBURN node", lookout("tburn", {"base_url": sim.url}), "tburn_up", sim_pid),
            ("lookout-pm2", "frozen PM2 daemon", lookout("pm2", {"daemon": {"home": str(pm2.home)}}), "pm2_up",
             pm2_pid),
        ]
        if PM2_PEER.exists():  # absent where ./scripts/install-deps has not run npm ci in tests/node
            frozen.append(("npm-pm2-exporter", "frozen PM2 daemon", npm_pm2_exporter(pm2),
                           'pm2_up{name="rss-sync-server"}', pm2_pid))
        wanted = [w for w in args.only.split(",") if w]
        chosen = lambda name, fault: not wanted or any(w in name or w in fault for w in wanted)  # noqa: E731
        for name, fault, start, up, pids in frozen:
            if not chosen(name, fault):
                continue
            res = run_cell(start, up, _signal(pids, signal.SIGSTOP), _signal(pids, signal.SIGCONT), args, work)
            rows.append((name, fault, res))
            print(f"{name:18} {fault:20} done", file=sys.stderr)
        with SilentPeer() as peer:
            silent = [
                ("lookout-nectar", lookout("nectar", nectar_cfg(peer.port)), "nectar_up"),
                ("mysqld-exporter", mysqld_exporter(peer.port), "mysql_up"),
                ("lookout-ticks", lookout("ticks", ticks_cfg(), {"TICKS_DATABASE__DSN": pg_dsn(peer.port)}), "ticks_up"),
                ("postgres-exporter", postgres_exporter(pg_dsn(peer.port)), "pg_up"),
                ("lookout-tburn", lookout("tburn", {"base_url": f"http://127.0.0.1:{peer.port}"}), "tburn_up"),
            ]
            for name, start, up in silent:
                if not chosen(name, "silent peer"):
                    continue
                res = run_cell(start, up, _never, _never, args, work)
                rows.append((name, "silent peer", res))
                print(f"{name:18} {'silent peer':20} done", file=sys.stderr)
    print(f"\nscrape timeout header {args.timeout:g} s, {args.scrapes} scrapes per fault, "
          f"Lookout reconnect backoff {BACKOFF:g} s\n")
    print("| exporter | fault | answered in time | crashes | stale-as-fresh | recovery | fds | threads | RSS |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, fault, r in rows:
        rec = "n/a" if not r["recovers"] else ("none in 30 s" if r["recovery"] is None else f"{r['recovery']:.1f} s")
        print(f"| {name} | {fault} | {r['answered']:.0%} | {r['crashed']} | {r['stale']} | {rec} | "
              f"{r['fds']:+d} | {r['threads']:+d} | {r['rss'] / 1e6:+.1f} MB |")


if __name__ == "__main__":
    main()
