"""The whole Lookout stack on this machine, without Docker images, in one temp dir.

MariaDB stands in for TiDB and PostgreSQL for TimescaleDB; both, dockerd, PM2 and the
simulators are started with lookout.devstack's classes, so the demo and the tests run the
same servers the same way. Each system of the registry (lookout.systems) brings up its demo
target through its `demo_config` function (lookout/systems/<key>/target.py), which asks this stack
for the servers it needs. Everything started is recorded and stopped in reverse order by
`stop()`, which also removes every temp dir.
"""
from __future__ import annotations

import importlib
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
from lookout.devstack.postgres import PostgresServer
from lookout.devstack.proc import ROOT, ExporterProcess, free_port, http_get, wait_until
from lookout.devstack.simulator import SimulatorProcess
from lookout.remediate.demo import demo_config as remediate_config
from lookout.systems import SYSTEMS, System

from . import alertmanager, configs, hooks, prometheus, runbooks
from .control import ControlServer, Controller, ScenarioError
from .procs import ManagedProcess, pick_port
from .profiles import Profile
from .rules import build_rules

IMAGE = "lookout-demo-busybox:local"
# The ports people see; any that is taken is replaced by a free one (the banner says which).
PORTS = {"prometheus": 9090, "alertmanager": 9093, "webhook": 9095, "control": 9099}


def demo_function(system: System) -> Callable[["NativeStack"], dict]:
    module, _, name = system.demo_config.partition(":")
    return getattr(importlib.import_module(module), name)


class NativeStack:
    image = IMAGE

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
        self.exporter_configs: dict[str, dict] = {}
        self._stops: list[tuple[str, Callable[[], None]]] = []
        self.engine: DockerEngine | None = None
        self.mariadb_server: MariaDB | None = None
        self.pg: PostgresServer | None = None
        self._dsn_files: dict[str, Path] = {}  # database -> its DSN's file
        self._docker_tried = False
        self.docker_absent = ""  # why the demo has no Docker engine, once docker() found none
        self.unavailable: dict[str, str] = {}  # a need (Scenario.needs) -> what runs without it


    # --- the sequence ---------------------------------------------------------------

    def start(self) -> None:
        # Every process started from here on carries this, so a test can find strays.
        os.environ["LOOKOUT_DEMO_ID"] = str(self.dir)
        steps = [("alert rules", self._rules)]
        steps += [(f"{s.display_name}: demo target and the servers it needs", lambda s=s: self._target(s))
                  for s in SYSTEMS]
        steps += [("exporters", self._exporters), ("webhook receiver", self._webhook),
                  ("remediation receiver (acting)", self._remediate)]
        if self.ha:
            steps += [("heartbeat switch (the Watchdog's dead man's switch)", self._heartbeat),
                      ("Prometheus pair and Alertmanager cluster (HA)", self._ha_pair)]
        else:
            steps += [("Alertmanager", self._alertmanager), ("Prometheus", self._prometheus)]
        steps += [("control API", self._control), ("first scrapes", self._targets_up)]
        for i, (what, step) in enumerate(steps, 1):
            t0 = time.monotonic()
            self.say(f"[{i:2}/{len(steps)}] {what} ...")
            detail = step()
            self.say(f"        ready{': ' + detail if detail else ''} ({time.monotonic() - t0:.1f} s)")

    def on_stop(self, name: str, fn: Callable[[], None]) -> None:
        self._stops.append((name, fn))

    def stop(self) -> None:
        for name, fn in reversed(self._stops):
            try:
                fn()
            except Exception as exc:  # keep going: everything else must still stop
                self.say(f"        stopping {name} failed: {exc}")
        self._stops.clear()
        shutil.rmtree(self.dir, ignore_errors=True)

    # --- what a demo target may ask for (lookout/systems/<key>/target.py) ------------------------

    def simulator(self, target: str, module: str, args: list[str]) -> str:
        """`python -m module --listen 127.0.0.1:<free port> *args`, ready when /_sim/faults answers."""
        sim = SimulatorProcess(self.dir, args, module=module)
        self.on_stop(module, sim.stop)
        sim.wait_ready(30)
        self.sims[target] = sim.url
        return sim.url

    def mariadb(self) -> MariaDB:
        """MariaDB standing in for TiDB, started on first use."""
        if self.mariadb_server is None:
            self.mariadb_server = MariaDB(self.dir / "mariadb")
            self.on_stop("MariaDB", self.mariadb_server.stop)
            self.mariadb_server.start()
            self.say(f"        MariaDB (standing in for TiDB) on 127.0.0.1:{self.mariadb_server.port}")
        return self.mariadb_server

    def postgres(self, database: str) -> Path:
        """PostgreSQL (standing in for TimescaleDB), started on first use, with `database`
        created on first ask; the file (0600, in a 0700 dir of its own) holding its DSN."""
        if self.pg is None:
            self.pg = PostgresServer(password=secrets.token_urlsafe(12))
            self.temp_dirs.append(str(self.pg.dir))
            self.on_stop("PostgreSQL", self.pg.destroy)
            self.pg.init().start()
            self.say(f"        PostgreSQL (standing in for TimescaleDB) on 127.0.0.1:{self.pg.port}")
        if database not in self._dsn_files:
            self.pg.psql(f'CREATE DATABASE "{database}"')
            secret_dir = self.dir / "postgres" / database
            secret_dir.parent.mkdir(mode=0o700, exist_ok=True)
            secret_dir.mkdir(mode=0o700)
            dsn_file = secret_dir / "dsn"
            dsn_file.touch(mode=0o600)
            dsn_file.write_text(self.pg.dsn(database=database))
            self._dsn_files[database] = dsn_file
        return self._dsn_files[database]

    def docker(self) -> DockerEngine | None:
        """A Docker engine of the demo's own, or None where it cannot run (`docker_absent` says
        why, for the target to tell what it does instead)."""
        if self._docker_tried:
            return self.engine
        self._docker_tried = True
        if self.docker_mode == "off":
            self.docker_absent = "Docker off (--no-docker)"
            return None
        engine = DockerEngine()
        try:
            engine.start(timeout=60)
        except RuntimeError as exc:
            if self.docker_mode == "on":
                raise
            self.docker_absent = f"Docker cannot run here ({str(exc).splitlines()[0]})"
            return None
        self.engine = engine
        self.temp_dirs.append(str(engine.dir))
        self.on_stop("Docker engine", engine.stop)
        engine.import_busybox(IMAGE)
        self.say(f"        dockerd on {engine.host}")
        return engine

    # --- steps ------------------------------------------------------------------------

    def _rules(self) -> str:
        self.rule_files = build_rules(self.profile, self.dir / "rules")
        where = "generated for this profile" if self.profile.compressed else "as generated and shipped"
        detail = f"{len(self.rule_files)} files, {where}"
        self.rule_files = runbooks.serve(self)  # plus RemediationExhausted, linking to the served runbooks
        return f"{detail}; runbooks at {self.urls['runbooks']}"

    def _target(self, system: System) -> str:
        self.exporter_configs[system.key] = demo_function(system)(self)
        return f"{system.demo_target} {self.sims.get(system.demo_target, '')}".strip()

    def _exporters(self) -> str:
        self.exporters: dict[str, ExporterProcess] = {}
        for system in SYSTEMS:
            job = system.job
            cfg = configs.write(self.dir / f"{job}.yml", self.exporter_configs[system.key])
            exp = ExporterProcess(job, cfg, self.dir, module=system.exporter_module)
            self.on_stop(f"{job} exporter", exp.stop)
            self.exporters[job] = exp
        for job, exp in self.exporters.items():
            exp.wait_ready(30)
            self.urls[f"{job}_exporter"] = exp.url
        return ", ".join(f"{job} {exp.url}" for job, exp in self.exporters.items())

    def _managed(self, name: str, args: list[str], ready_path: str, port: int, ok=(200,)) -> str:
        proc = ManagedProcess(name, args, self.dir / f"{name}.log", ROOT, env={"PYTHONPATH": str(ROOT)})
        self.on_stop(name, proc.stop)
        url = f"http://127.0.0.1:{port}"
        proc.wait_http(url + ready_path, ok=ok)
        self.urls[name] = url
        return url

    def _webhook(self) -> str:
        port = pick_port(PORTS["webhook"], self.random_ports)
        return self._managed("webhook", [sys.executable, "-m", "lookout.demo.webhook", "--listen", f"127.0.0.1:{port}"],
                             "/api/notifications", port)

    def _remediate(self) -> str:
        """lookout-remediate, live: Alertmanager's `remediate` receiver posts to it (issue 15), with
        the actions each system's `remediation(stack)` hook offers (lookout/demo/hooks.py)."""
        port = free_port()
        parts = [(system, hook(self)) for system, hook in hooks.each("remediation")]
        cfg = configs.write(self.dir / "remediate.yml", remediate_config(
            self.dir, self.engine.host if self.engine else None, self.profile.compressed, parts))
        return self._managed("remediate", [sys.executable, "-m", "lookout.remediate", "--config", str(cfg),
                                           "--listen", f"127.0.0.1:{port}"], "/-/healthy", port)

    def _alertmanager(self) -> str:
        port = pick_port(PORTS["alertmanager"], self.random_ports)
        cfg = self.dir / "alertmanager.yml"
        alertmanager.write(cfg, self.urls["webhook"], self.profile, {"remediate": self.urls["remediate"] + "/webhook"})
        binary = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager") or "prometheus-alertmanager"
        return self._managed("alertmanager", [binary, f"--config.file={cfg}", f"--storage.path={self.dir / 'am-data'}",
                                              f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=",
                                              "--log.level=warn"], "/-/ready", port)

    def _prometheus(self) -> str:
        port = pick_port(PORTS["prometheus"], self.random_ports)
        am = self.urls["alertmanager"].removeprefix("http://")
        exporters = {job: exp.url.removeprefix("http://") for job, exp in self.exporters.items()}
        rules = self.rule_files  # with RemediationExhausted (runbooks.serve)
        data = prometheus.native(self.profile, exporters, f"127.0.0.1:{port}", am, rules)
        data["scrape_configs"].append({"job_name": "remediate", "static_configs": [
            {"targets": [self.urls["remediate"].removeprefix("http://")]}]})
        self.scrape_targets = len(data["scrape_configs"])
        cfg = configs.write(self.dir / "prometheus.yml", data)
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
        rules = self.rule_files  # as _prometheus loads them
        pair = LocalHA(self.dir / "ha", exporters, rules, self.urls["webhook"], self.urls["heartbeat"] + "/ping",
                       timing_for(self.profile), direct={"remediate": self.urls["remediate"] + "/webhook"},
                       runbook_base=self.urls["runbooks"])
        self.on_stop("Prometheus pair and Alertmanager cluster", pair.stop)
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
        server = ControlServer(Controller(self.sims, NativeInfra(self), self.urls,
                                       audit_log=self.dir / "remediate-audit.jsonl"), "127.0.0.1", port).start()
        self.on_stop("control API", server.stop)
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
    """What the control API may stop and start in the native demo: the services the systems'
    `SERVICES` hooks name (lookout/demo/hooks.py)."""

    def __init__(self, stack: NativeStack):
        self.stack = stack
        self.services = hooks.merged(hooks.each("SERVICES"), "service")

    def stop(self, service: str) -> None:
        if service not in self.services:
            raise ScenarioError(409, f"no service {service!r} in the native demo")
        self.services[service][0](self.stack)

    def start(self, service: str) -> bool:
        return service in self.services and self.services[service][1](self.stack)

    def missing(self, needs: str) -> str:
        """Why a scenario's need is not met here ("" when it is); a target that runs otherwise
        without it says how (`unavailable`)."""
        if needs == "docker" and self.stack.engine is None:
            return self.stack.unavailable.get(needs, "Docker cannot run here")
        return ""

