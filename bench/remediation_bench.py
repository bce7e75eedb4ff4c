"""Fault to page and fault to recovery, with and without lookout-remediate, per scenario.

    .venv/bin/python bench/remediation_bench.py [--runs 3] [--give-up 20] [--only ticks,pm2,tburn]

Each scenario runs on real parts (tests/remediate/loop.py): the project's Alertmanager
config in a real Alertmanager (timers shortened to 1 s, as in the tests), a recording pager,
the receiver as a child process, and the real system (a container on a private dockerd,
the sync server stand-in under a real PM2, the TBURN simulator). A detector polls the system
every second, standing in for Prometheus' 1 s scrape and evaluation with the rule's `for`
left out, so the figures are the loop's own latency: add the rule's `for` for production.

"without" runs the same receiver in dry-run: it decides and audits, nothing acts, so the
system stays broken until a human steps in (the bench gives up after --give-up seconds and
mends it itself, as that human would). Medians of --runs runs.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lookout.devstack.docker import DockerEngine  # noqa: E402
from lookout.devstack.pm2 import PM2  # noqa: E402
from lookout.devstack.proc import free_port, http_get, wait_until  # noqa: E402
from lookout.devstack.simulator import SimulatorProcess  # noqa: E402
from tests.remediate.loop import Loop, rule_labels  # noqa: E402

SECOND = 1_000_000_000


class Ticks:
    alert, severity, action = "CollectorUnhealthy", "critical", "restart-collector"
    name = "tick-collector"

    def __init__(self, work: Path):
        self.engine = DockerEngine().start()
        self.engine.import_busybox()
        self.engine.run(["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"], self.name,
                        tmpfs={"/run": ""}, healthcheck={"test": ["CMD-SHELL", "[ ! -f /run/stall ]"],
                                                         "interval": SECOND, "timeout": SECOND, "retries": 1})
        wait_until(self.healthy, 30)

    def config(self) -> dict:
        return {"docker": {"host": self.engine.host}, "actions": {self.action: {
            "type": "docker_restart", "alerts": [self.alert], "target": self.name, "timeout_seconds": 30}}}

    def labels(self) -> dict:
        return {**rule_labels(self.alert, self.severity), "container": self.name, "instance": "ticks", "job": "ticks"}

    def _health(self) -> str:
        return self.engine.client().api.inspect_container(self.name)["State"].get("Health", {}).get("Status", "")

    def healthy(self) -> bool:
        return self._health() == "healthy"

    def broken(self) -> bool:
        return self._health() == "unhealthy"

    def break_it(self) -> None:
        self.engine.client().containers.get(self.name).exec_run(["sh", "-c", "echo x > /run/stall"])

    def mend(self) -> None:  # the human: `docker restart`
        self.engine.client().api.restart(self.name, timeout=5)

    def stop(self) -> None:
        self.engine.stop()


class SyncServer:
    alert, severity, action = "PM2ProcessDown", "critical", "restart-sync-server"
    app = "rss-sync-server"

    def __init__(self, work: Path):
        self.pm2 = PM2(work / "pm2home")
        port = free_port()
        self.health = f"http://127.0.0.1:{port}/health"
        self.pm2.start(ROOT / "lookout" / "systems" / "pm2" / "tests" / "apps" / "sync-server.js", self.app, env={"PORT": str(port)})
        wait_until(self.healthy, 30)

    def config(self) -> dict:
        return {"pm2": {"home": str(self.pm2.home)}, "actions": {self.action: {
            "type": "pm2_restart", "alerts": [self.alert], "target": self.app, "timeout_seconds": 30}}}

    def labels(self) -> dict:
        return {**rule_labels(self.alert, self.severity), "name": self.app, "instance": "pm2", "job": "pm2"}

    def healthy(self) -> bool:
        try:
            return http_get(self.health, timeout=1)[0] == 200
        except OSError:
            return False

    def broken(self) -> bool:
        return not self.healthy()

    def break_it(self) -> None:
        self.pm2.run("stop", self.app)

    def mend(self) -> None:
        self.pm2.run("restart", self.app)

    def stop(self) -> None:
        self.pm2.kill_all()


class Tburn:
    alert, severity, action = "TburnPipelineStopped", "warning", "tburn-pipeline-restart"
    COOKIE = "connect.sid=lookout-demo-session"  # the simulator's default session

    def __init__(self, work: Path):
        self.sim = SimulatorProcess(work).wait_ready()

    def config(self) -> dict:
        return {"actions": {self.action: {
            "type": "http", "alerts": [self.alert], "target": "tburn", "url": self.sim.url, "timeout_seconds": 15,
            "cookie": self.COOKIE,
            "steps": [{"path": "/api/pipeline/stop"}, {"path": "/api/pipeline/start"}]}}}

    def labels(self) -> dict:
        return {**rule_labels(self.alert, self.severity), "instance": "tburn", "job": "tburn"}

    def healthy(self) -> bool:
        data = json.loads(http_get(self.sim.url + "/api/pipeline/stats", headers={"Cookie": self.COOKIE})[2])
        return bool((data.get("data") if isinstance(data.get("data"), dict) else data).get("isRunning"))

    def broken(self) -> bool:
        return not self.healthy()

    def break_it(self) -> None:
        self.sim.inject("pipeline-stopped")

    def mend(self) -> None:
        self.sim.clear("pipeline-stopped")

    def stop(self) -> None:
        self.sim.stop()


SCENARIOS = {"ticks": Ticks, "pm2": SyncServer, "tburn": Tburn}


def one_run(system, loop: Loop, give_up: float) -> dict:
    labels = system.labels()
    receiver = "/pager" if labels["severity"] == "critical" else "/chat"
    pages_before = len(loop.pager.posts(receiver))
    t0 = time.monotonic()
    system.break_it()
    wait_until(system.broken, 30, 0.05, what="the fault to show")
    loop.fire(labels)  # the detector's rule fires (1 s polling stands in for scrape + evaluation)

    def paged():
        return any(a["labels"]["alertname"] == system.alert and a["status"] == "firing"
                   for p in loop.pager.posts(receiver)[pages_before:] for a in p["body"]["alerts"])
    wait_until(paged, 30, 0.05, what="the page")
    page = time.monotonic() - t0
    try:
        wait_until(system.healthy, give_up, 0.1, what="recovery")
        recovery = time.monotonic() - t0
    except TimeoutError:
        recovery = None
        system.mend()
        wait_until(system.healthy, 60, 0.2, what="the human's fix")
    loop.resolve(labels)
    time.sleep(2)  # the resolved notification, before the next run
    return {"page": page, "recovery": recovery}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--give-up", type=float, default=20.0, help="seconds to wait for recovery without a human")
    parser.add_argument("--only", default=",".join(SCENARIOS))
    args = parser.parse_args()
    rows = []
    for key in args.only.split(","):
        with tempfile.TemporaryDirectory(prefix=f"lk-rb-{key}-") as tmp:
            work = Path(tmp)
            system = SCENARIOS[key](work)
            try:
                for mode, dry in (("with", False), ("without", True)):
                    mdir = work / mode
                    mdir.mkdir()
                    cfg = system.config()
                    loop = Loop(mdir, cfg.pop("actions"), dry_run=dry, cooldown_seconds=0, max_attempts=100, **cfg)
                    try:
                        runs = [one_run(system, loop, args.give_up) for _ in range(args.runs)]
                    finally:
                        loop.stop()
                    rec = [r["recovery"] for r in runs]
                    rows.append({"scenario": key, "alert": system.alert, "remediation": mode,
                                 "fault_to_page_s": statistics.median(r["page"] for r in runs),
                                 "fault_to_recovery_s": statistics.median(rec) if None not in rec else None,
                                 "runs": args.runs})
            finally:
                system.stop()
    print(f"\n{'scenario':8} {'alert':22} {'remediation':11} {'fault->page':>12} {'fault->recovery':>16}")
    for r in rows:
        recovery = f"{r['fault_to_recovery_s']:.1f} s" if r["fault_to_recovery_s"] is not None \
            else f"> {args.give_up:g} s (human)"
        print(f"{r['scenario']:8} {r['alert']:22} {r['remediation']:11} {r['fault_to_page_s']:10.1f} s {recovery:>16}")
    print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
