from pathlib import Path

import pytest

from lookout.devstack.pm2 import PM2
from lookout.devstack.proc import exporter_fixture, free_port, http_get, wait_until, write_yaml

APPS = Path(__file__).parent / "apps"
# Lives in every PM2 app's environment (pm2_env carries it); must never reach /metrics.
APP_SECRET = "sync-db-pw-5kq9-Zebra"


def start_fleet(pm2: PM2) -> dict:
    """The four apps the issue asks for: steady (serving health JSON), crash loop, leak, stopped."""
    port = free_port()
    pm2.start(APPS / "sync-server.js", "rss-sync-server", "--max-memory-restart", "200M",
              env={"PORT": str(port), "SYNC_DB_PASSWORD": APP_SECRET})
    # Every run dies within min_uptime, and PM2 never gives up within the test's lifetime.
    pm2.start_app(name="crashy", script=str(APPS / "crash-loop.js"), min_uptime=5000, max_restarts=100000,
                  restart_delay=500)
    pm2.start(APPS / "leaky.js", "leaky", "--max-memory-restart", "100M")
    pm2.start(APPS / "idle.js", "idle")
    pm2.run("stop", "idle")
    base = f"http://127.0.0.1:{port}"
    wait_until(lambda: http_get(base + "/health", timeout=2)[0] == 200, 20, what="the sync server's /health")
    return {"health_base": base}


@pytest.fixture(scope="package")
def pm2(tmp_path_factory):
    """A PM2 daemon running the fleet, shared by this package's modules that only read it or set
    the sync server's answers back (test_health, test_processes: the fleet took 5-8 s to start
    per module); killed with everything it forked. Modules that kill or restart a daemon
    (test_daemon) have their own."""
    instance = PM2(tmp_path_factory.mktemp("pm2home"))
    try:
        instance.fleet = start_fleet(instance)
        yield instance
    finally:
        instance.kill_all()


def write_config(path: Path, pm2_home: Path | str, **sections) -> Path:
    return write_yaml(path, {"daemon": {"home": str(pm2_home), "timeout_seconds": 2.0}}, **sections)


exporter = exporter_fixture("pm2")


def get(metrics, metric: str, **labels):
    """Like Metrics.get, for label sets that include `name` (PM2's process label)."""
    for s in metrics.samples:
        if s.name == metric and all(s.labels.get(k) == v for k, v in labels.items()):
            return s.value
    return None
