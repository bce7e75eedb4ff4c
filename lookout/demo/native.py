"""The whole Lookout stack on this machine, without Docker images, in one temp dir.

MariaDB stands in for TiDB and PostgreSQL for TimescaleDB; both, dockerd, PM2 and the
simulators are started with the test harness's own classes (tests/harness/), so the demo
and the tests run the same servers the same way. Everything started is recorded and
stopped in reverse order by `stop()`, which also removes every temp dir.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

from lookout.devstack.docker import DockerEngine
from lookout.devstack.mariadb import MariaDB
from lookout.devstack.pm2 import PM2
from lookout.devstack.postgres import PostgresServer
from lookout.devstack.proc import ExporterProcess, free_port, http_get, wait_until
from lookout.devstack.tburn_sim import SimulatorProcess

from . import alertmanager, configs
from .control import ControlServer, Controller, ScenarioError
from .procs import ManagedProcess, pick_port
from .profiles import Profile
from .rules import build_rules

ROOT = Path(__file__).resolve().parents[2]
ECOSYSTEM = ROOT / "lookout" / "simulators" / "sync_server" / "ecosystem.config.js"
CONTAINER = "tick-collector"
IMAGE = "lookout-demo-busybox:local"
HEALTH_FILE = "/tmp/tick-collector-healthy"
# The ports people see; any that is taken is replaced by a free one (the banner says which).
PORTS = {"prometheus": 9090, "alertmanager": 9093, "webhook": 9095, "control": 9099}


class NativeStack:
    def __init__(self, profile: Profile, say: Callable[[str], None] = print, random_ports: bool = False,
                 docker: str = "auto", ha: bool = False):
        self.profile = profile
        self.ha = ha  # two Prometheus, two clustered Alertmanagers, a heartbeat (lookout/deploy/local.py)
        self.say = say
        self.random_ports = random_ports
        self.docker_mode = docker  # auto | on | off
        self.dir = Path(tempfile.mkdtemp(prefix="lookout-demo-"))
        self.urls: dict[str, str] = {}
        self.sims: dict[str, str] = {}
        self.notes: list[str] = []
        self.temp_dirs: list[str] = [str(self.dir)]
        self._stops: list[tuple[str, Callable[[], None]]] = []
        self.engine: DockerEngine | None = None
        self.mariadb: MariaDB | None = None
        # Every process started from here on carries this, so a test can find strays.
        os.environ["LOOKOUT_DEMO_ID"] = str(self.dir)

    # --- the sequence ---------------------------------------------------------------

    def start(self) -> None:
        steps = [("alert rules", self._rules), ("MariaDB (standing in for TiDB)", self._mariadb),
                 ("PostgreSQL (standing in for TimescaleDB)", self._postgres),
                 ("Docker engine for the collector container", self._docker),
                 ("tick collector", self._tick_writer), ("PM2 and the sync server", self._pm2),
                 ("TBURN simulator", self._tburn), ("Nectar writer", self._nectar_writer),
                 ("exporters", self._exporters), ("webhook receiver", self._webhook),
                 *([("heartbeat switch (the Watchdog's dead man's switch)", self._heartbeat),
                    ("Prometheus pair and Alertmanager cluster (HA)", self._ha_pair)] if self.ha else
                   [("Alertmanager", self._alertmanager), ("Prometheus", self._prometheus)]),
                 ("control API", self._control), ("first scrapes", self._targets_up)]
        for i, (what, step) in enumerate(steps, 1):
            t0 = time.monotonic()
            self.say(f"[{i:2}/{len(steps)}] {what} ...")
            detail = step()
            self.say(f"        ready{': ' + detail if detail else ''} ({time.monotonic() - t0:.1f} s)")

    def _on_stop(self, name: str, fn: Callable[[], None]) -> None:
        self._stops.append((name, fn))

    def stop(self) -> None:
        for name, fn in reversed(self._stops):
            try:
                fn()
            except Exception as exc:  # keep going: everything else must still stop
                self.say(f"        stopping {name} failed: {exc}")
        self._stops.clear()
        shutil.rmtree(self.dir, ignore_errors=True)

    # --- steps ------------------------------------------------------------------------

    def _rules(self) -> str:
        self.rule_files = build_rules(self.profile, self.dir / "rules")
        where = "generated for this profile" if self.profile.compressed else "alert_rules/*.yml as committed"
        return f"{len(self.rule_files)} files, {where}"

    def _mariadb(self) -> str:
        self.mariadb = MariaDB(self.dir / "mariadb")
        self._on_stop("MariaDB", self.mariadb.stop)
        self.mariadb.start()
        return f"127.0.0.1:{self.mariadb.port}"

    def _postgres(self) -> str:
        self.pg = PostgresServer(password=secrets.token_urlsafe(12))
        self.temp_dirs.append(str(self.pg.dir))
        self._on_stop("PostgreSQL", self.pg.destroy)
        self.pg.init().start()
        self.pg.psql("CREATE DATABASE crypto_data")
        secret_dir = self.dir / "ticks"
        secret_dir.mkdir(mode=0o700)
        self.dsn_file = secret_dir / "dsn"
        self.dsn_file.touch(mode=0o600)
        self.dsn_file.write_text(self.pg.dsn(database="crypto_data"))
        return f"127.0.0.1:{self.pg.port}"

    def _docker(self) -> str:
        if self.docker_mode == "off":
            self.notes.append("Docker off (--no-docker): the tick collector runs as a plain process; "
                              "collector-crashloop and the container panels are unavailable.")
            return "skipped (--no-docker)"
        engine = DockerEngine()
        try:
            engine.start(timeout=60)
        except RuntimeError as exc:
            if self.docker_mode == "on":
                raise
            first = str(exc).splitlines()[0]
            self.notes.append(f"Docker cannot run here ({first}); the tick collector runs as a plain process, "
                              "collector-crashloop and the container panels are unavailable.")
            return "unavailable: the tick collector will run as a plain process"
        self.engine = engine
        self.temp_dirs.append(str(engine.dir))
        self._on_stop("Docker engine", engine.stop)
        engine.import_busybox(IMAGE)
        return f"dockerd on {engine.host}"

    def _tick_writer(self) -> str:
        port = free_port()
        state = self.dir / "ticks" / "faults.json"
        args = ["--listen", f"127.0.0.1:{port}", "--dsn-file", str(self.dsn_file), "--state-file", str(state)]
        url = f"http://127.0.0.1:{port}"
        if self.engine:
            self._run_container(args + ["--health-file", HEALTH_FILE])
        else:
            sim = SimulatorProcess(self.dir, args, module="lookout.simulators.tick_writer")
            self._on_stop("tick collector", sim.stop)
            sim.wait_ready(30)
        wait_until(lambda: http_get(url + "/_sim/faults", timeout=2)[0] == 200, 60, 0.2, what="the tick collector")
        self.sims["tick_writer"] = url
        return f"{'container ' + CONTAINER if self.engine else 'plain process'}, control {url}"

    def _run_container(self, args: list[str]) -> None:
        """The collector in a container without an image of its own: busybox for the root
        filesystem, this machine's Python and the repo mounted read-only, the host's network."""
        mounts = {"/usr": {"bind": "/usr", "mode": "ro"}, str(ROOT): {"bind": str(ROOT), "mode": "ro"},
                  str(self.dir / "ticks"): {"bind": str(self.dir / "ticks"), "mode": "rw"}}
        for d in ("/lib", "/lib64"):
            if os.path.exists(d):
                mounts[os.path.realpath(d)] = {"bind": d, "mode": "ro"}
        for prefix in {os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix)}:
            if not prefix.startswith(("/usr/", str(ROOT) + "/")):
                mounts[prefix] = {"bind": prefix, "mode": "ro"}
        seconds = 1_000_000_000
        interval = 2 if self.profile.compressed else 10
        kwargs = dict(
            name=CONTAINER, detach=True, network_mode="host", volumes=mounts, working_dir=str(ROOT),
            environment={"PYTHONPATH": str(ROOT), "HOME": "/tmp", "PYTHONUNBUFFERED": "1"},
            restart_policy={"Name": "always"}, labels={"com.lookout.demo": "tick-collector"},
            healthcheck={"test": ["CMD", "/bin/cat", HEALTH_FILE], "interval": interval * seconds,
                         "timeout": 2 * seconds, "retries": 3, "start_period": 5 * seconds})
        client = self.engine.client()
        try:
            client.containers.run(IMAGE, [sys.executable, "-m", "lookout.simulators.tick_writer", *args], mem_limit="512m", **kwargs)
        except Exception as exc:  # cgroup memory limits are not everywhere; the limit panels then stay empty
            if "memory" not in str(exc).lower():
                raise
            for c in client.containers.list(all=True, filters={"name": CONTAINER}):
                c.remove(force=True)
            self.notes.append("The collector container runs without a memory limit (the kernel refused one).")
            client.containers.run(IMAGE, [sys.executable, "-m", "lookout.simulators.tick_writer", *args], **kwargs)

    def _pm2(self) -> str:
        port = free_port()
        self.pm2_home = self.dir / "pm2"
        pm2 = PM2(self.pm2_home, env={"PM2_WORKER_INTERVAL": str(self.profile.pm2_worker_interval_ms)})
        self._on_stop("PM2", pm2.kill_all)
        pm2.run("start", str(ECOSYSTEM), env={"PORT": str(port), "HOST": "127.0.0.1", "SYNC_MAX_MEMORY": "200M",
                                              "SYNC_STATE_FILE": str(self.dir / "sync-server-faults.json")})
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: http_get(url + "/health", timeout=2)[0] == 200, 30, 0.2, what="the sync server")
        self.sims["sync_server"] = url
        return f"sync-server under PM2 (max_memory_restart 200M), health {url}/health"

    def _sim(self, key: str, module: str, args: list[str]) -> str:
        sim = SimulatorProcess(self.dir, args, module=module)
        self._on_stop(module, sim.stop)
        sim.wait_ready(30)
        self.sims[key] = sim.url
        return sim.url

    def _tburn(self) -> str:
        return self._sim("tburn", "lookout.simulators.tburn", [])

    def _nectar_writer(self) -> str:
        self.nectar_log = self.dir / "nectar.log"
        url = self._sim("nectar_writer", "lookout.simulators.nectar_writer",
                        ["--db-port", str(self.mariadb.port), "--log-file", str(self.nectar_log)])
        return f"{url} (150 blocks/s from the first Alonzo slot)"

    def _exporters(self) -> str:
        p = self.profile
        cfgs = {
            "nectar": configs.nectar(p, self.mariadb.port, self.nectar_log),
            "ticks": configs.ticks(p, self.dsn_file, self.engine.host if self.engine else None, CONTAINER, self.dir),
            "pm2": configs.pm2(p, self.pm2_home, self.sims["sync_server"] + "/health"),
            "tburn": configs.tburn(p, self.sims["tburn"]),
        }
        self.exporters: dict[str, ExporterProcess] = {}
        for job, cfg in cfgs.items():
            exp = ExporterProcess(job, configs.write(self.dir / f"{job}.yml", cfg), self.dir)
            self._on_stop(f"{job} exporter", exp.stop)
            self.exporters[job] = exp
        for job, exp in self.exporters.items():
            exp.wait_ready(30)
            self.urls[f"{job}_exporter"] = exp.url
        return ", ".join(f"{job} {exp.url}" for job, exp in self.exporters.items())

    def _managed(self, name: str, args: list[str], ready_path: str, port: int, ok=(200,)) -> str:
        proc = ManagedProcess(name, args, self.dir / f"{name}.log", ROOT, env={"PYTHONPATH": str(ROOT)})
        self._on_stop(name, proc.stop)
        url = f"http://127.0.0.1:{port}"
        proc.wait_http(url + ready_path, ok=ok)
        self.urls[name] = url
        return url

    def _webhook(self) -> str:
        port = pick_port(PORTS["webhook"], self.random_ports)
        return self._managed("webhook", [sys.executable, "-m", "lookout.demo.webhook", "--listen", f"127.0.0.1:{port}"],
                             "/api/notifications", port)

    def _alertmanager(self) -> str:
        port = pick_port(PORTS["alertmanager"], self.random_ports)
        cfg = self.dir / "alertmanager.yml"
        if not alertmanager.write(cfg, self.urls["webhook"], self.profile):
            self.notes.append("prometheus/alertmanager.yml is missing: routing from demo/alertmanager.py's "
                              "fallback (the alert catalog's routing section) is used instead.")
        binary = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager") or "prometheus-alertmanager"
        return self._managed("alertmanager", [binary, f"--config.file={cfg}", f"--storage.path={self.dir / 'am-data'}",
                                              f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=",
                                              "--log.level=warn"], "/-/ready", port)

    def _prometheus(self) -> str:
        port = pick_port(PORTS["prometheus"], self.random_ports)
        am = self.urls["alertmanager"].removeprefix("http://")
        targets = {job: exp.url.removeprefix("http://") for job, exp in self.exporters.items()}
        targets.update(prometheus=f"127.0.0.1:{port}", alertmanager=am)
        self.scrape_targets = len(targets)
        cfg = configs.write(self.dir / "prometheus.yml", configs.prometheus(self.profile, targets, self.rule_files, am))
        binary = shutil.which("prometheus") or "/usr/bin/prometheus"
        return self._managed("prometheus", [binary, f"--config.file={cfg}", f"--storage.tsdb.path={self.dir / 'prom-data'}",
                                            f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
                             "/-/ready", port)

    def _heartbeat(self) -> str:
        port = free_port()
        return self._managed("heartbeat", [sys.executable, "-m", "lookout.deploy.heartbeat", "--listen",
                                           f"127.0.0.1:{port}", "--expect-every", "60s"], "/status", port, ok=(200, 503))

    def _ha_pair(self) -> str:
        from lookout.deploy.local import LocalHA, timing_for
        exporters = {job: [exp.url.removeprefix("http://")] for job, exp in self.exporters.items()}
        pair = LocalHA(self.dir / "ha", exporters, self.rule_files, self.urls["webhook"],
                       self.urls["heartbeat"] + "/ping", timing_for(self.profile))
        self._on_stop("Prometheus pair and Alertmanager cluster", pair.stop)
        pair.start()
        self.pair = pair
        self.urls.update(prometheus=pair.prom_urls["a"], prometheus_b=pair.prom_urls["b"],
                         alertmanager=pair.am_urls[0], alertmanager_b=pair.am_urls[1])
        self.scrape_targets = len(exporters) + len(pair.prom_urls) + len(pair.am_urls)
        pids = ", ".join(f"{p.name} {p.proc.pid}" for p in [*pair.prometheus.values(), *pair.alertmanagers])
        self.notes.append(f"HA: kill -9 one of these to watch the pager survive it: {pids}. "
                          f"Heartbeat (Watchdog) status: {self.urls['heartbeat']}/status")
        return f"Prometheus {', '.join(pair.prom_urls.values())}; Alertmanager {', '.join(pair.am_urls)}"

    def _control(self) -> str:
        port = pick_port(PORTS["control"], self.random_ports)
        server = ControlServer(Controller(self.sims, NativeInfra(self), self.urls), "127.0.0.1", port).start()
        self._on_stop("control API", server.stop)
        self.urls["control"] = f"http://127.0.0.1:{port}"
        return self.urls["control"]

    def _targets_up(self) -> str:
        def all_up():
            status, _, body = http_get(self.urls["prometheus"] + "/api/v1/query?query=count(up%3D%3D1)", timeout=3)
            result = json.loads(body)["data"]["result"] if status == 200 else []
            return result and int(float(result[0]["value"][1])) == self.scrape_targets
        wait_until(all_up, 90, 0.5, what="Prometheus to scrape every exporter successfully")
        return f"{self.scrape_targets} targets up"

    # --- what `up` prints and saves ---------------------------------------------------

    def state(self) -> dict:
        return {"profile": self.profile.name, "ha": self.ha, "urls": self.urls, "simulators": self.sims, "notes": self.notes,
                "docker": self.engine is not None, "temp_dirs": self.temp_dirs, "demo_id": str(self.dir),
                "pid": os.getpid(),
                **({"ha_pids": {p.name: p.proc.pid for p in [*self.pair.prometheus.values(), *self.pair.alertmanagers]}}
                   if self.ha else {})}


class NativeInfra:
    """What the control API may stop and start in the native demo."""

    def __init__(self, stack: NativeStack):
        self.stack = stack

    def stop(self, service: str) -> None:
        if service != "tidb":
            raise ScenarioError(409, f"no service {service!r} in the native demo")
        self.stack.mariadb.kill()  # as a crash: connections cut, no goodbye

    def start(self, service: str) -> None:
        if service == "tidb" and self.stack.mariadb.proc and self.stack.mariadb.proc.poll() is not None:
            self.stack.mariadb.start()

    def missing(self, needs: str) -> str:
        if needs == "docker" and self.stack.engine is None:
            return "the tick collector is not in a container (Docker cannot run here)"
        return ""

