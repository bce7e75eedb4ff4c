"""Each system's demo target in the native demo, named by the registry's `demo_config`
("lookout.demo.targets:nectar"): start what stands in for the application, and the servers it
needs, through the stack (`lookout.demo.native.NativeStack`); return the exporter's
configuration (a dict, written to YAML). A new system may keep its function in a module of its
own; the stack offers: `profile`, `dir`, `notes`, `on_stop(name, fn)`, `simulator(target,
module, args) -> url`, `mariadb()`, `postgres() -> dsn file`, `docker()` (an engine or None).
"""
from __future__ import annotations

import os
import sys

from lookout.devstack.pm2 import PM2
from lookout.devstack.proc import ROOT, free_port, http_get, wait_until
from lookout.devstack.tburn_sim import SimulatorProcess
from lookout.systems import by_key

from . import configs

CONTAINER = "tick-collector"
HEALTH_FILE = "/tmp/tick-collector-healthy"


def nectar(stack) -> dict:
    db = stack.mariadb()
    log = stack.dir / "nectar.log"
    system = by_key("nectar")
    stack.simulator(system.demo_target, system.demo_module, ["--db-port", str(db.port), "--log-file", str(log)])
    return configs.nectar(stack.profile, db.port, log)


def ticks(stack) -> dict:
    dsn_file = stack.postgres()
    engine = stack.docker()
    system = by_key("ticks")
    port = free_port()
    args = ["--listen", f"127.0.0.1:{port}", "--dsn-file", str(dsn_file),
            "--state-file", str(dsn_file.parent / "faults.json")]
    url = f"http://127.0.0.1:{port}"
    if engine:
        _run_container(stack, engine, system.demo_module, args + ["--health-file", HEALTH_FILE], dsn_file.parent)
    else:
        sim = SimulatorProcess(stack.dir, args, module=system.demo_module)
        stack.on_stop("tick collector", sim.stop)
        sim.wait_ready(30)
    wait_until(lambda: http_get(url + "/_sim/faults", timeout=2)[0] == 200, 60, 0.2, what="the tick collector")
    stack.sims[system.demo_target] = url
    return configs.ticks(stack.profile, dsn_file, engine.host if engine else None, CONTAINER, stack.dir)


def _run_container(stack, engine, module: str, args: list[str], state_dir) -> None:
    """The collector in a container without an image of its own: busybox for the root
    filesystem, this machine's Python and Lookout mounted read-only, the host's network."""
    mounts = {"/usr": {"bind": "/usr", "mode": "ro"}, str(ROOT): {"bind": str(ROOT), "mode": "ro"},
              str(state_dir): {"bind": str(state_dir), "mode": "rw"}}
    for d in ("/lib", "/lib64"):
        if os.path.exists(d):
            mounts[os.path.realpath(d)] = {"bind": d, "mode": "ro"}
    for prefix in {os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix)}:
        if not prefix.startswith(("/usr/", str(ROOT) + "/")):
            mounts[prefix] = {"bind": prefix, "mode": "ro"}
    seconds = 1_000_000_000
    interval = 2 if stack.profile.compressed else 10
    kwargs = dict(
        name=CONTAINER, detach=True, network_mode="host", volumes=mounts, working_dir=str(ROOT),
        environment={"PYTHONPATH": str(ROOT), "HOME": "/tmp", "PYTHONUNBUFFERED": "1"},
        restart_policy={"Name": "always"}, labels={"com.lookout.demo": "tick-collector"},
        healthcheck={"test": ["CMD", "/bin/cat", HEALTH_FILE], "interval": interval * seconds,
                     "timeout": 2 * seconds, "retries": 3, "start_period": 5 * seconds})
    client = engine.client()
    command = [sys.executable, "-m", module, *args]
    try:
        client.containers.run(stack.image, command, mem_limit="512m", **kwargs)
    except Exception as exc:  # cgroup memory limits are not everywhere; the limit panels then stay empty
        if "memory" not in str(exc).lower():
            raise
        for c in client.containers.list(all=True, filters={"name": CONTAINER}):
            c.remove(force=True)
        stack.notes.append("The collector container runs without a memory limit (the kernel refused one).")
        client.containers.run(stack.image, command, **kwargs)


def pm2(stack) -> dict:
    system = by_key("pm2")
    ecosystem = ROOT / system.demo_module.replace(".", "/") / "ecosystem.config.js"
    port = free_port()
    home = stack.dir / "pm2"
    daemon = PM2(home, env={"PM2_WORKER_INTERVAL": str(stack.profile.pm2_worker_interval_ms)})
    stack.on_stop("PM2", daemon.kill_all)
    daemon.run("start", str(ecosystem), env={"PORT": str(port), "HOST": "127.0.0.1", "SYNC_MAX_MEMORY": "200M",
                                             "SYNC_STATE_FILE": str(stack.dir / "sync-server-faults.json")})
    url = f"http://127.0.0.1:{port}"
    wait_until(lambda: http_get(url + "/health", timeout=2)[0] == 200, 30, 0.2, what="the sync server")
    stack.sims[system.demo_target] = url
    return configs.pm2(stack.profile, home, url + "/health")


def tburn(stack) -> dict:
    system = by_key("tburn")
    url = stack.simulator(system.demo_target, system.demo_module, [])
    return configs.tburn(stack.profile, url)
