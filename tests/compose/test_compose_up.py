"""`docker-compose up` of the unchanged docker-compose.yml, for real (system tier, slow): the
pinned official images replaced by local stand-ins built from Debian's packages
(lookout/devstack/standins.py, cached under /var/cache/lookout), lookout:local built from the
Dockerfile, on a Docker engine of the test's own in private network and mount namespaces
(lookout/devstack/docker.py), so the file's fixed ports and its /var/run/docker.sock are the
test's.

Checked: every service healthy (the one-shot config writer exited 0), Prometheus scraping
every target up, TiDB stopped through the control API pages NectarDatabaseDown at the webhook
receiver, and `docker-compose down -v` leaves no container, network or volume. Grafana is a
placeholder (not in Debian) that checks its mounted provisioning files and dashboards parse.
The timeline is printed and written to `compose-timeline.json` in pytest's temp dir.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from lookout.devstack.docker import DockerEngine
from lookout.devstack.proc import ROOT, wait_until

pytestmark = [pytest.mark.system,
              pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("debootstrap") or not shutil.which("docker-compose"),
                                 reason="needs root, debootstrap and docker-compose (./scripts/install-deps)")]
PROJECT = "lkcompose"
ONE_SHOT = {"alertmanager-config"}


def in_container(client, service: str, code: str) -> str:
    """Run Python in one of the project's lookout:local containers (the engine's network is not
    the host's): returns its stdout."""
    [c] = client.containers.list(filters={"label": [f"com.docker.compose.project={PROJECT}",
                                                     f"com.docker.compose.service={service}"]})
    res = c.exec_run(["python", "-c", code])
    assert res.exit_code == 0, res.output.decode()
    return res.output.decode()


def get_json(client, url: str, via: str = "webhook") -> dict:
    return json.loads(in_container(client, via, f"import urllib.request; print(urllib.request.urlopen({url!r}, timeout=10).read().decode())"))


def test_compose_up_on_stand_ins_scrapes_everything_and_pages_a_fault(tmp_path_factory):
    from lookout.devstack import standins
    timeline: list[tuple[str, float]] = []
    t0 = time.monotonic()

    def mark(what: str) -> None:
        timeline.append((what, round(time.monotonic() - t0, 1)))
        print(f"{timeline[-1][1]:>7.1f} s  {what}", flush=True)

    engine = DockerEngine(isolated=True).start()
    env = {**os.environ, "DOCKER_HOST": engine.host, "COMPOSE_PROJECT_NAME": PROJECT}
    compose = ["docker-compose", "-f", str(ROOT / "docker-compose.yml"), "-p", PROJECT]
    try:
        client = engine.client()
        took = standins.import_all(client, log=lambda line: None)
        mark(f"stand-ins imported ({', '.join(f'{k} {v}s' for k, v in took.items())})")
        # The build needs PyPI, which the isolated engine's namespace cannot reach: build on an
        # engine in the host's network, then move the image over.
        standins.build_lookout(client, tmp_path_factory.mktemp("image"), revision="compose-test")
        mark("lookout:local built from the Dockerfile (host network) and loaded")
        # PM2 pinned by tests/node's lock, put where the sync-server's command looks for it
        # (it would `npm ci` from the registry otherwise, which its network cannot reach).
        client.volumes.create(f"{PROJECT}_pm2-modules", labels={"com.docker.compose.project": PROJECT,
                                                                 "com.docker.compose.volume": "pm2-modules"})
        client.containers.run("node:20.15.1-bookworm-slim", ["sh", "-c", "cp -a /src/. /dst/"], remove=True,
                              network_mode="none", volumes={str(ROOT / "tests/node/node_modules"): {"bind": "/src", "mode": "ro"},
                                                            f"{PROJECT}_pm2-modules": {"bind": "/dst", "mode": "rw"}})
        mark("pm2 node_modules volume filled")

        up = subprocess.run([*compose, "up", "-d", "--no-build"], env=env, capture_output=True, text=True, timeout=900)
        assert up.returncode == 0, up.stdout + up.stderr
        mark("docker-compose up -d returned")

        def states() -> dict[str, str]:
            out = {}
            for c in client.containers.list(all=True, filters={"label": f"com.docker.compose.project={PROJECT}"}):
                c.reload()
                svc = c.labels["com.docker.compose.service"]
                st = c.attrs["State"]
                out[svc] = (f"exited {st['ExitCode']}" if st["Status"] == "exited"
                            else st.get("Health", {}).get("Status", st["Status"]))
            return out

        def all_healthy():
            s = states()
            bad = {k: v for k, v in s.items() if v != ("exited 0" if k in ONE_SHOT else "healthy")}
            return not bad and s
        try:
            wait_until(all_healthy, 600, 2, what="every service healthy")
        except TimeoutError:
            logs = {k: client.containers.list(all=True, filters={"label": [f"com.docker.compose.service={k}"]})[0]
                    .logs(tail=30).decode(errors="replace") for k, v in states().items() if v != "healthy"}
            raise AssertionError(f"{states()}\n" + "\n".join(f"--- {k}\n{v}" for k, v in logs.items())) from None
        mark(f"all {len(states())} services healthy")

        def targets():
            active = get_json(client, "http://prometheus:9090/api/v1/targets")["data"]["activeTargets"]
            return {t["labels"]["job"]: t["health"] for t in active}
        wait_until(lambda: targets() and all(h == "up" for h in targets().values()), 180, 2,
                   what="every Prometheus target up")
        jobs = targets()
        mark(f"Prometheus scrapes every target up: {sorted(jobs)}")
        assert {"nectar", "ticks", "pm2", "tburn"} <= set(jobs)

        in_container(client, "control", "from lookout.cli.__main__ import main; import sys; "
                                        "sys.exit(main(['demo', 'inject', 'tidb-down', '--url', 'http://127.0.0.1:9099']))")
        mark("fault injected: tidb-down")

        def paged():
            entries = get_json(client, "http://127.0.0.1:9095/api/notifications")
            entries = entries if isinstance(entries, list) else entries.get("notifications", [])
            return [e for e in entries if e["status"] == "firing" and e["receiver"] == "pager"]
        pages = wait_until(paged, 420, 3, what="a page")
        mark(f"paged: {sorted({p['alertname'] for p in pages})}")
        assert {p["alertname"] for p in pages} == {"NectarDatabaseDown"}

        grafana = client.containers.list(filters={"label": "com.docker.compose.service=grafana"})[0]
        assert "dashboards parse" in grafana.logs().decode()
    finally:
        down = subprocess.run([*compose, "down", "-v", "--remove-orphans"], env=env, capture_output=True, text=True,
                              timeout=300)
        mark("docker-compose down -v")
        left = (client.containers.list(all=True, filters={"label": f"com.docker.compose.project={PROJECT}"}),
                client.volumes.list(filters={"label": f"com.docker.compose.project={PROJECT}"}),
                [n for n in client.networks.list() if n.name.startswith(PROJECT)])
        engine.stop()
        out = Path(tmp_path_factory.getbasetemp()) / "compose-timeline.json"
        out.write_text(json.dumps(timeline, indent=1))
        print(f"compose timeline written to {out}")
    assert down.returncode == 0, down.stderr
    assert left == ([], [], []), left
