"""The tick collector's demo target: the tick writer on PostgreSQL (standing in for TimescaleDB),
in a container of the demo's own Docker engine where one can run, else as a plain process."""
from __future__ import annotations

import os
import sys

from lookout.demo import configs
from lookout.devstack.proc import ROOT, free_port, http_get, wait_until
from lookout.devstack.simulator import SimulatorProcess
from lookout.systems import by_key

from .demo import CONTAINER

HEALTH_FILE = "/tmp/tick-collector-healthy"


def start(stack) -> dict:
    dsn_file = stack.postgres("crypto_data")  # the collector's database (runbook 002)
    engine = stack.docker()
    system = by_key("ticks")
    port = free_port()
    args = ["--dsn-file", str(dsn_file), "--state-file", str(dsn_file.parent / "faults.json")]
    url = f"http://127.0.0.1:{port}"
    if engine:
        _run_container(stack, engine, system.demo_module,
                       ["--listen", f"127.0.0.1:{port}", *args, "--health-file", HEALTH_FILE], dsn_file.parent)
    else:
        stack.notes.append(f"{stack.docker_absent}: the tick collector runs as a plain process; "
                           "collector-crashloop and the container panels are unavailable.")
        stack.unavailable["docker"] = "the tick collector is not in a container (Docker cannot run here)"
        # SimulatorProcess adds --listen itself: a second one would win and be waited for in vain.
        sim = SimulatorProcess(stack.dir, args, module=system.demo_module, port=port)
        stack.on_stop("tick collector", sim.stop)
        sim.wait_ready(30)
    wait_until(lambda: http_get(url + "/_sim/faults", timeout=2)[0] == 200, 60, 0.2, what="the tick collector")
    stack.sims[system.demo_target] = url
    cfg = {**configs.runtime_settings(stack.profile),
           "database": {"dsn_file": str(dsn_file), "reconnect_max_backoff_seconds": 2},
           "tables": [{"name": "eth_option_quotes", "time_column": "timestamp", "instrument_column": "instrument",
                       "window_seconds": stack.profile.settings["ticks"]["window_seconds"]}],
           "disk": {"paths": [str(stack.dir)]}}
    if engine:
        cfg["docker"] = {"host": engine.host, "containers": [CONTAINER]}
        cfg["tables"][0]["fed_by"] = CONTAINER  # its CollectorDown explains this table's symptoms
    return cfg


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
