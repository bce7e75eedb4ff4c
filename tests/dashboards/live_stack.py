"""Every Lookout exporter against a real backend (or the TBURN simulator), each with some
activity, all started here on loopback and stopped by `Stack.close()`.

Built from the harnesses the exporters' own tests use; what each system needs to fill its
dashboard: Nectar catching up from Alonzo (so its sync-speed and ETA panels apply), a tick
table being written and a collector container logging, a PM2 app with a health endpoint.
"""
from __future__ import annotations

import importlib.util
import itertools
import subprocess
import sys
import threading
import time
from pathlib import Path

import yaml

from lookout.devstack.proc import ExporterProcess, free_port, http_get, wait_until

ROOT = Path(__file__).resolve().parents[2]
EXPORTERS = ("nectar", "ticks", "pm2", "tburn")
NECTAR_START_SLOT = 60_549_573   # runbook 000: where Nectar stopped, in Alonzo
SLOTS_PER_STEP = 1000            # far faster than the tip moves, so the ETA is finite


def missing_exporters() -> list[str]:
    return [ns for ns in EXPORTERS if importlib.util.find_spec(f"lookout.systems.{ns}.exporter.__main__") is None]


class Stack:
    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.targets: dict[str, list[str]] = {}
        self._stops: list = []
        self._feeders: list = []
        self._halt = threading.Event()
        self._feeder_thread = threading.Thread(target=self._feed, daemon=True)

    # --- plumbing ------------------------------------------------------------------------
    def later(self, stop) -> None:
        self._stops.append(stop)

    def exporter(self, ns: str, config: dict, env: dict | None = None) -> ExporterProcess:
        path = self.workdir / f"{ns}.yml"
        path.write_text(yaml.safe_dump(config))
        proc = ExporterProcess(ns, path, self.workdir, env=env)
        self.later(proc.stop)
        proc.wait_ready()
        self.targets[ns] = [f"127.0.0.1:{proc.port}"]
        return proc

    def every_half_second(self, feed) -> None:
        self._feeders.append(feed)

    def _feed(self) -> None:
        while not self._halt.wait(0.5):
            for feed in self._feeders:
                try:
                    feed()
                except Exception as exc:  # a backend hiccup must not end the activity
                    print(f"live stack feeder: {exc!r}", file=sys.stderr)

    def start_feeding(self) -> None:
        self._feeder_thread.start()

    def close(self) -> None:
        self._halt.set()
        if self._feeder_thread.is_alive():
            self._feeder_thread.join(10)
        for stop in reversed(self._stops):
            try:
                stop()
            except Exception as exc:  # keep stopping the rest
                print(f"live stack: stopping failed: {exc!r}", file=sys.stderr)

    # --- systems -------------------------------------------------------------------------
    def start_tburn(self) -> None:
        from lookout.devstack.tburn_sim import SimulatorProcess
        sim = SimulatorProcess(self.workdir, ["--seed", "7"])
        self.later(sim.stop)
        sim.wait_ready()
        # The memory guardian's cleanup forces a GC, so lastGcAt is set (null on a fresh process).
        assert sim.control("POST", "/api/memory-guardian/force-cleanup")[0] == 200
        # A minimum scrape interval, so <ns>_scrape_cache_age_seconds exists (only then is it served).
        # The cookie is the simulator's default session (`--session`), as TBURN's requireAuth wants.
        # The DB pool block is opt-in (today's TBURN never fills it), and so are the shard routes
        # (they start TBURN's simulated orchestrator); the dashboard shows them where an
        # operator turns them on, as here.
        self.exporter("tburn", {"base_url": sim.url, "scrape": {"min_interval_seconds": 1},
                                "auth": {"cookie": "connect.sid=lookout-demo-session"},
                                "endpoints": {"db_pool": {"enabled": True}, "circuit_breakers": {"enabled": True},
                                              "shards": {"enabled": True}}})

    def start_nectar(self) -> None:
        from lookout.devstack.mariadb import MariaDB
        db = MariaDB(self.workdir / "mariadb")
        self.later(db.stop)
        db.start()
        password = "live-nectar-pw-4412"
        db.execute("CREATE DATABASE nectar", f"CREATE USER 'lookout'@'%' IDENTIFIED BY '{password}'",
                   "GRANT SELECT, PROCESS ON *.* TO 'lookout'@'%'")
        db.execute("CREATE TABLE blocks (id BIGINT AUTO_INCREMENT PRIMARY KEY, slot_no BIGINT NOT NULL,"
                   " block_no BIGINT NOT NULL, KEY idx_slot (slot_no))", database="nectar")
        blocks = itertools.count(1)

        def index_more():
            n = next(blocks)
            db.execute(f"INSERT INTO blocks (slot_no, block_no) VALUES ({NECTAR_START_SLOT + n * SLOTS_PER_STEP}, {n})",
                       database="nectar")
        index_more()
        self.every_half_second(index_more)
        # The "Nectar process": a sleeper found through its pidfile.
        sleeper = subprocess.Popen(["sleep", "3600"])
        self.later(lambda: (sleeper.kill(), sleeper.wait()))
        pidfile = self.workdir / "nectar.pid"
        pidfile.write_text(f"{sleeper.pid}\n")
        log = self.workdir / "nectar.log"
        log.write_text("")
        unified = self.workdir / "unified_errors.log"
        unified.write_text("")
        # Nectar's stdout with Go's log prefix (database/connection_recovery.go's messages).
        lines = itertools.cycle([
            "[ConnectionRecovery] Health check failed: dial tcp 127.0.0.1:4000: connect: connection refused",
            "[ConnectionRecovery] Reconnect attempt 1/10 failed: dial tcp 127.0.0.1:4000: connect: connection refused",
            "[ConnectionRecovery] Database connection established successfully",
            "[ConnectionRecovery] Automatic recovery failed: failed to reconnect after 10 attempts",
            "ERROR worker 3: context deadline exceeded",
        ])
        def log_more():
            with log.open("a") as f:
                f.write(time.strftime("%Y/%m/%d %H:%M:%S ") + next(lines) + "\n")
        self.every_half_second(log_more)
        self.exporter("nectar", {
            "database": {"host": "127.0.0.1", "port": db.port, "user": "lookout", "password": password,
                         "database": "nectar"},
            "process": {"pidfile": str(pidfile)},
            "logfile": {"path": str(log), "unified_errors_path": str(unified)},
        })

    def start_pm2(self) -> None:
        from lookout.devstack.pm2 import PM2
        pm2 = PM2(self.workdir / "pm2home")
        self.later(pm2.kill_all)
        port = free_port()
        pm2.start(ROOT / "tests/pm2/apps/sync-server.js", "rss-sync-server", "--max-memory-restart", "200M",
                  env={"PORT": str(port)})
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: http_get(base + "/server/health", timeout=2)[0] == 200, 20,
                   what="the sync server's /server/health")
        # Queue rows, one completed sync and API errors in the app's PM2 log files.
        http_get(base + "/control?pending=12&retry=2&failed=1")
        # Log lines after the exporter started reading: a completed sync and a failed batch.
        self.every_half_second(lambda: http_get(base + "/control?log_completed_ms=1500&log_batch_failed=1"))
        watchdog_log = self.workdir / "monitor-services.jsonl"
        watchdog_log.write_text("")
        self.exporter("pm2", {"daemon": {"home": str(pm2.home)}, "health": {"url": base + "/server/health"},
                              "watchdog": {"path": str(watchdog_log)}})

    def start_ticks(self) -> None:
        from lookout.devstack.docker import DockerEngine
        from lookout.devstack.postgres import PostgresServer
        pg = PostgresServer()
        self.later(pg.destroy)
        pg.init().start()
        pg.psql("CREATE DATABASE crypto_data")
        pg.psql('CREATE TABLE eth_option_quotes ("timestamp" timestamptz NOT NULL, instrument_name text,'
                ' price float8)', database="crypto_data")
        instruments = itertools.cycle(["ETH-27DEC-3000-C", "ETH-27DEC-3000-P", "ETH-28MAR-4000-C"])
        self.every_half_second(lambda: pg.psql(
            f"INSERT INTO eth_option_quotes VALUES (now(), '{next(instruments)}', 0.05)", database="crypto_data"))
        engine = DockerEngine()
        self.later(engine.stop)
        engine.start()
        engine.import_busybox()
        name = "eth-collector-live"
        second = 1_000_000_000
        # scripts/ws_tick_collector.py's STATS line and heartbeat warning, with this test's numbers.
        engine.run(["sh", "-c", "while true; do echo 'STATS | Ticks: 1234 | Buffer: Q=12.3% T=4.5% D=0.0% | DB Writes: 7';"
                                " echo 'No ticks received for 75s (timeout: 60s)'; echo 'ERROR: feed hiccup';"
                                " echo 'Reconnecting in 5s'; echo 'WebSocket connected successfully'; sleep 1; done"],
                   name=name, mem_limit="32m",
                   healthcheck={"test": ["CMD", "true"], "interval": second // 2, "retries": 1})
        self.exporter("ticks", {
            "tables": [{"name": "eth_option_quotes", "instrument_column": "instrument_name"}],
            "docker": {"host": engine.host, "containers": [name]},
            "disk": {"paths": [str(self.workdir)]},
        }, env={"TICKS_DATABASE__DSN": pg.dsn(database="crypto_data")})


def start(workdir: Path) -> Stack:
    stack = Stack(workdir)
    try:
        for ns in EXPORTERS:
            getattr(stack, f"start_{ns}")()
        stack.start_feeding()
    except BaseException:
        stack.close()
        raise
    return stack


def settle(prometheus, jobs: list[str], samples: int = 6, timeout: float = 90) -> None:
    """Wait until Prometheus has `samples` successful scrapes of every job, so every range
    function and recording rule has at least two points to work with."""
    def enough():
        answer = prometheus.query("sum by (job) (sum_over_time(up[5m]))")["data"]["result"]
        got = {r["metric"]["job"]: float(r["value"][1]) for r in answer}
        return all(got.get(job, 0) >= samples for job in jobs)
    wait_until(enough, timeout, interval=0.5, what=f"{samples} scrapes of {jobs}")
    time.sleep(2)  # one more rule evaluation after the last of them
