"""CPU per scrape (issue 24): each Lookout exporter at its default configuration against its demo
target, beside the peer on the same backend, and the PM2 exporter at many apps beside npm's
pm2-prometheus-exporter.

    .venv/bin/python bench/cpu.py [--scrapes 40] [--runs 3] [--pm2-apps 200] [--skip-demo] [--pm2-baseline DIR]

The demo's targets and exporter configurations (lookout.demo.native, profile `real`): Nectar's
writer on MariaDB, the tick writer on PostgreSQL in a container of the demo's own dockerd (so
the container and log collectors read a running collector container), the sync server under
PM2, the TBURN simulator. Peers: Debian's prometheus-mysqld-exporter and
prometheus-postgres-exporter (default collectors) on the same servers, npm's
pm2-prometheus-exporter on the same PM2 daemon. Every exporter, ours and the peers, collects on
every scrape (none has a cache configured).

CPU is utime + stime from /proc/<pid>/stat over `--scrapes` sequential scrapes on one
keep-alive connection, as Prometheus scrapes; each figure is the median over `--runs` rounds,
RSS is read after the last round and peak RSS is VmHWM (a scrape's transient memory, which a
host with little free RAM must have too),
the exporters alternated within a round so a busy neighbour hits all of them. The PM2 daemon's
own CPU per scrape is shown too: an exporter's process-list calls are work the daemon does.
Targets: <= 20 ms per scrape for every Lookout exporter; the ticks exporter's container and log
collectors (the difference between its runs with and without `docker`) <= 50 ms; at
`--pm2-apps` apps, lookout-pm2 <= the npm exporter, and < 25 MB RSS.
"""
from __future__ import annotations

import argparse
import copy
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from common import ROOT, Scraper, cpu_seconds, mb, median, rss_bytes, stop_all
from lookout.demo import configs
from lookout.demo.native import NativeStack
from lookout.demo.profiles import REAL
from lookout.devstack.pm2 import PM2
from lookout.devstack.proc import ExporterProcess, free_port, http_get, wait_until
from lookout.systems import SYSTEMS
from pm2_bench import PEER as NPM_EXPORTER
from pm2_bench import start_apps

PEER_PASSWORD = "cpu-bench-peer-pw"


class Target:
    """One exporter process to measure: its pid and a scraper on one keep-alive connection."""

    def __init__(self, label: str, pid: int, port: int, scrapes: int | None = None):
        self.label, self.pid, self.port, self.scrapes = label, pid, port, scrapes
        self.scraper = Scraper(port)
        self.cpu: list[float] = []
        self.daemon_cpu: list[float] = []
        self.wall: list[float] = []
        self.size = 0

    def round(self, scrapes: int, daemon_pid: int | None = None) -> None:
        n = self.scrapes or scrapes
        # A fresh connection each round: Node closes keep-alive connections idle for 5 s, and
        # the other exporters' rounds take longer than that.
        self.scraper = Scraper(self.port)
        self.scraper.get()
        daemon0 = cpu_seconds(daemon_pid) if daemon_pid else 0.0
        cpu0, t0 = cpu_seconds(self.pid), time.perf_counter()
        for _ in range(n):
            _, body = self.scraper.get()
        self.wall.append((time.perf_counter() - t0) / n)
        self.cpu.append((cpu_seconds(self.pid) - cpu0) / n)
        if daemon_pid:
            self.daemon_cpu.append((cpu_seconds(daemon_pid) - daemon0) / n)
        self.size = len(body)


def measure(targets: list[Target], runs: int, scrapes: int, daemon_pid: int | None = None) -> None:
    for t in targets:  # warm: connections, prepared statements, first collections
        for _ in range(min(t.scrapes or scrapes, 5)):
            t.scraper.get()
    for _ in range(runs):
        for t in targets:
            t.round(scrapes, daemon_pid)


def table(title: str, targets: list[Target], daemon: bool = False) -> None:
    print(f"\n# {title}")
    extra = " | PM2 daemon CPU ms/scrape" if daemon else ""
    print(f"| exporter | CPU ms/scrape (median) | runs | wall ms/scrape | reply | RSS | peak RSS{extra} |")
    print("|---|---|---|---|---|---|---|" + ("---|" if daemon else ""))
    for t in targets:
        runs = " / ".join(f"{c * 1000:.1f}" for c in t.cpu)
        row = (f"| {t.label} | {median(t.cpu) * 1000:.1f} | {runs} | {median(t.wall) * 1000:.1f} | "
               f"{t.size / 1024:.0f} KB | {mb(rss_bytes(t.pid))} | {mb(rss_bytes(t.pid, 'VmHWM'))}")
        if daemon:
            row += f" | {median(t.daemon_cpu) * 1000:.1f}"
        print(row + " |")


def pm2_daemon_pid(home: Path) -> int:
    return int((home / "pm2.pid").read_text().strip())


def npm_exporter(home_env: dict, procs: list) -> tuple[int, int]:
    """npm's pm2-prometheus-exporter on the PM2 of `home_env`: (pid, port)."""
    port = free_port()
    # The peer reads its port from argv[1], which `node -e` leaves to the first argument.
    proc = subprocess.Popen(["node", "-e", f"require({str(NPM_EXPORTER)!r})", str(port)], env=home_env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(proc)
    wait_until(lambda: http_get(f"http://127.0.0.1:{port}/metrics")[0] == 200, 30, what="pm2-prometheus-exporter")
    return proc.pid, port


def demo_section(args, stack: NativeStack, procs: list) -> None:
    for system in SYSTEMS:
        print(f"  target {system.key}: {stack._target(system)}", flush=True)
    targets = []
    for system in SYSTEMS:
        cfg = configs.write(stack.dir / f"{system.job}.yml", stack.exporter_configs[system.key])
        exp = ExporterProcess(system.job, cfg, stack.dir, module=system.exporter_module).wait_ready(30)
        procs.append(exp)
        # With Docker the container collector waits for dockerd's next 1 s stats sample.
        slow = system.key == "ticks" and "docker" in stack.exporter_configs[system.key]
        targets.append(Target(f"lookout-{system.key}" + (" (docker: container + logs)" if slow else ""),
                              exp.proc.pid, exp.port, args.docker_scrapes if slow else None))
        if slow:
            plain = copy.deepcopy(stack.exporter_configs[system.key])
            del plain["docker"]
            cfg = configs.write(stack.dir / "ticks-nodocker.yml", plain)
            exp = ExporterProcess("ticks", cfg, stack.dir).wait_ready(30)
            procs.append(exp)
            targets.append(Target("lookout-ticks (same, without docker)", exp.proc.pid, exp.port))

    # mysqld_exporter refuses a my.cnf without a password: a user of its own, as its README grants.
    stack.mariadb_server.execute(f"CREATE USER 'peer'@'%' IDENTIFIED BY '{PEER_PASSWORD}'",
                                 "GRANT SELECT, PROCESS, REPLICATION CLIENT ON *.* TO 'peer'@'%'")
    mycnf = stack.dir / "peer-my.cnf"
    mycnf.write_text(f"[client]\nuser=peer\npassword={PEER_PASSWORD}\nhost=127.0.0.1\n"
                     f"port={stack.mariadb_server.port}\n")
    port = free_port()
    peer = subprocess.Popen(["prometheus-mysqld-exporter", f"--config.my-cnf={mycnf}",
                             f"--web.listen-address=127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=open(stack.dir / "mysqld-exporter.log", "w"))
    procs.append(peer)
    wait_until(lambda: http_get(f"http://127.0.0.1:{port}/metrics")[0] == 200, 20, what="mysqld_exporter")
    targets.append(Target("mysqld_exporter (Go, default collectors)", peer.pid, port))

    port = free_port()
    dsn = stack.pg.dsn(database="crypto_data") + "?sslmode=disable"
    peer = subprocess.Popen(["prometheus-postgres-exporter", f"--web.listen-address=127.0.0.1:{port}"],
                            env={**os.environ, "DATA_SOURCE_NAME": dsn},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(peer)
    wait_until(lambda: http_get(f"http://127.0.0.1:{port}/metrics")[0] == 200, 20, what="postgres_exporter")
    targets.append(Target("postgres_exporter (Go, default collectors)", peer.pid, port))

    pid, port = npm_exporter({**os.environ, "PM2_HOME": str(stack.dir / "pm2")}, procs)
    targets.append(Target("pm2-prometheus-exporter (npm)", pid, port))

    measure(targets, args.runs, args.scrapes)
    table(f"Demo targets, default configurations, {args.scrapes} sequential scrapes x {args.runs} runs "
          f"({args.docker_scrapes} for the ticks exporter with docker)", targets)
    docker = next((t for t in targets if "container" in t.label), None)
    plain = next((t for t in targets if "without docker" in t.label), None)
    if docker and plain:
        print(f"ticks container + log collectors: {(median(docker.cpu) - median(plain.cpu)) * 1000:.1f} ms "
              f"CPU per scrape (target <= 50 ms)")


def pm2_section(args, work: Path, procs: list) -> None:
    pm2 = PM2(work / "pm2home")
    try:
        port = start_apps(pm2, args.pm2_apps)
        time.sleep(3)  # axm_monitor fills in
        targets = []
        every = {"daemon": {"home": str(pm2.home), "max_processes": max(args.pm2_apps, 64)}}
        for label, extra in (("lookout-pm2 (default: max_processes 64)", {}),
                             (f"lookout-pm2 (max_processes {args.pm2_apps}: every app, as the peer)", every),
                             # Until the sync-log collector shares the processes collector's read,
                             # it makes a second process-list call per scrape; this row has one.
                             (f"lookout-pm2 (max_processes {args.pm2_apps}, sync_log off: one list call)",
                              {**every, "sync_log": {"enabled": False}})):
            cfg = {"daemon": {"home": str(pm2.home)}, "health": {"url": f"http://127.0.0.1:{port}/health"}}
            cfg.update(extra)
            path = work / f"pm2-{len(targets)}.yml"
            path.write_text(yaml.safe_dump(cfg))
            exp = ExporterProcess("pm2", path, work).wait_ready(30)
            procs.append(exp)
            targets.append(Target(label, exp.proc.pid, exp.port))
        if args.pm2_baseline:
            targets.append(baseline_exporter(args.pm2_baseline, work, pm2, port, every, procs))
        pid, peer_port = npm_exporter(pm2.env, procs)
        targets.append(Target("pm2-prometheus-exporter (npm, 7 series per app)", pid, peer_port))
        measure(targets, args.runs, args.scrapes, pm2_daemon_pid(pm2.home))
        table(f"PM2 with {args.pm2_apps} online apps, {args.scrapes} sequential scrapes x {args.runs} runs",
              targets, daemon=True)
    finally:
        stop_all(procs)
        procs.clear()
        pm2.kill_all()


def baseline_exporter(tree: Path, work: Path, pm2: PM2, port: int, every: dict, procs: list) -> Target:
    """The PM2 exporter of another checkout (`git archive <commit> | tar -x -C DIR`), configured as
    the every-app row: before and after a change, in one run."""
    cfg = work / "pm2-baseline.yml"
    cfg.write_text(yaml.safe_dump({**every, "health": {"url": f"http://127.0.0.1:{port}/health"}}))
    exp_port = free_port()
    # Its own tree first on the path (cwd: `python -m` puts it first).
    proc = subprocess.Popen([sys.executable, "-m", "lookout.systems.pm2.exporter", "--listen", f"127.0.0.1:{exp_port}",
                             "--config", str(cfg)], cwd=tree, env={**os.environ, "PYTHONPATH": str(tree)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(proc)
    wait_until(lambda: http_get(f"http://127.0.0.1:{exp_port}/-/healthy")[0] == 200, 30, what="baseline exporter")
    return Target(f"lookout-pm2 of {tree} (max_processes {every['daemon']['max_processes']}: baseline)",
                  proc.pid, exp_port)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scrapes", type=int, default=40, help="sequential scrapes per exporter per run")
    ap.add_argument("--docker-scrapes", type=int, default=10,
                    help="the same for the ticks exporter with docker (about 1 s each)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--pm2-apps", type=int, default=200, help="0: skip the PM2 section")
    ap.add_argument("--skip-demo", action="store_true", help="only the PM2 section")
    ap.add_argument("--pm2-baseline", type=Path, metavar="DIR",
                    help="also the PM2 exporter of the checkout in DIR (before/after a change, one run)")
    args = ap.parse_args()
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}, Python {sys.version.split()[0]}", flush=True)
    procs: list = []
    if not args.skip_demo:
        stack = NativeStack(REAL, say=lambda line: None, random_ports=True)
        try:
            demo_section(args, stack, procs)
        finally:
            stop_all(procs)
            procs.clear()
            stack.stop()
    if args.pm2_apps:
        work = Path(tempfile.mkdtemp(prefix="cpu-bench-"))
        try:
            pm2_section(args, work, procs)
        finally:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.path.insert(0, str(Path(__file__).parent))
    main()
