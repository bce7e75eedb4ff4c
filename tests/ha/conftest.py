"""The HA layout of lookout.deploy.local on real Prometheus and Alertmanager (Debian's),
with the webhook receiver recording pages and the heartbeat switch expecting the Watchdog."""
from __future__ import annotations

import contextlib
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from lookout.alert_rules.settings import OUTPUT_DIR, SYSTEMS
from lookout.deploy.local import FAST, LocalHA, Proc
from lookout.devstack.alertmanager import WebhookRecorder
from lookout.devstack.proc import ExporterProcess, free_port, http_get, wait_until, write_yaml
from lookout.devstack.simulator import SimulatorProcess

HERE = Path(__file__).resolve().parent
INCIDENT_RULES = HERE / "incident-rules.yml"
HEARTBEAT_EVERY = 6  # seconds the switch tolerates between pings (the Watchdog comes every ~2 s)

# Filled by the tests: one row per failure injected, printed at the end of the session.
RESULTS: list[dict] = []


class IncidentSwitch:
    """A fake scrape target (nothing real has an incident on demand): serves
    `lookout_ha_test_incident` 0 or 1, which tests/ha/incident-rules.yml alerts on."""

    def __init__(self):
        self.on = False
        switch = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                body = (b"# TYPE lookout_ha_test_incident gauge\nlookout_ha_test_incident "
                        + (b"1" if switch.on else b"0") + b"\n")
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):  # a Prometheus the test killed mid-scrape
                    pass

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.address = f"127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self):
        self._server.shutdown()
        self._server.server_close()


class Pager:
    """What the webhook receiver got, one entry per alert per notification, with the time
    the test first saw it (polled every 0.1 s)."""

    def __init__(self, recorder: WebhookRecorder):
        self.recorder = recorder
        self._seen: dict[int, float] = {}

    def entries(self, receiver: str = "pager") -> list[dict]:
        out = []
        for i, post in enumerate(self.recorder.posts(f"/{receiver}")):
            seen = self._seen.setdefault(id(post), time.monotonic())
            for alert in post["body"]["alerts"]:
                out.append({"alertname": alert["labels"]["alertname"], "status": alert["status"],
                            "labels": alert["labels"], "seen": seen, "sender": post["body"].get("externalURL"),
                            "startsAt": alert.get("startsAt"), "endsAt": alert.get("endsAt")})
        return out

    def count(self, alertname: str, status: str = "firing", receiver: str = "pager") -> int:
        return sum(1 for e in self.entries(receiver) if e["alertname"] == alertname and e["status"] == status)

    def wait(self, alertname: str, n: int = 1, status: str = "firing", timeout: float = 60) -> float:
        """Waits until `n` such notifications arrived; returns when the n-th was first seen."""
        def got():
            hits = [e for e in self.entries() if e["alertname"] == alertname and e["status"] == status]
            return hits[n - 1]["seen"] if len(hits) >= n else None
        return wait_until(got, timeout, 0.1, what=f"{n} {status} notification(s) of {alertname}")

    def story(self) -> str:
        """Every notification so far, for assertion messages."""
        return "\n".join(f"{e['seen']:.1f} {e['sender']} {e['alertname']} {e['status']} {e['startsAt']} {e['endsAt']}"
                         for r in ("pager", "chat") for e in self.entries(r))

    def others(self, *expected: str) -> list[str]:
        return [f"{e['alertname']} {e['status']}" for e in self.entries() if e["alertname"] not in expected]


class Heartbeat:
    """`python -m lookout.deploy.heartbeat` as a real process."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = Proc("heartbeat", [sys.executable, "-m", "lookout.deploy.heartbeat", "--listen",
                                       f"127.0.0.1:{self.port}", "--expect-every", f"{HEARTBEAT_EVERY}s"],
                         workdir / "heartbeat.log")
        wait_until(lambda: http_get(self.url + "/status", timeout=2)[0] in (200, 503), 30, 0.2, what="heartbeat")

    def status(self) -> tuple[int, dict]:
        code, _, body = http_get(self.url + "/status", timeout=3)
        return code, json.loads(body)


@pytest.fixture
def layout(tmp_path, request):
    """Started: two Prometheus, two clustered Alertmanagers, one exporter, the incident switch,
    the pager (webhook recorder) and the heartbeat switch. Yields a namespace of them. Timing:
    FAST, or the Timing given by indirect parametrization."""
    timing = getattr(request, "param", FAST)
    class Layout:
        pass
    lay = Layout()
    with contextlib.ExitStack() as stack:
        recorder = WebhookRecorder()
        stack.callback(recorder.stop)
        lay.switch = IncidentSwitch()
        stack.callback(lay.switch.stop)
        lay.heartbeat = Heartbeat(tmp_path)
        stack.callback(lay.heartbeat.proc.stop)
        # One exporter "host": the TBURN exporter watching the TBURN simulator, healthy, under every
        # generated rule (as committed), so anything else a lost host set off would page too.
        sim = SimulatorProcess(tmp_path)
        stack.callback(sim.stop)
        sim.wait_ready(30)
        lay.exporter = ExporterProcess("tburn", write_yaml(tmp_path / "tburn.yml", {"base_url": sim.url}), tmp_path)
        stack.callback(lay.exporter.stop)
        lay.exporter.wait_ready(30)
        rules = [OUTPUT_DIR / f"{system}.yml" for system in SYSTEMS] + [INCIDENT_RULES]
        lay.ha = LocalHA(tmp_path / "ha", {"tburn": [lay.exporter.url.removeprefix("http://")],
                                           "incident": [lay.switch.address]},
                         rules, recorder.url(""), lay.heartbeat.url + "/ping", timing)
        stack.callback(lay.ha.stop)
        lay.ha.start()
        lay.pager = Pager(recorder)
        # Every target up on both replicas before anything is broken.
        for url in lay.ha.prom_urls.values():
            wait_until(lambda u=url: _all_up(u, 6), 60, 0.3, what=f"all targets up on {url}")
        yield lay


def _all_up(prom_url: str, n: int) -> bool:
    import urllib.parse
    status, _, body = http_get(prom_url + "/api/v1/query?" + urllib.parse.urlencode({"query": "count(up == 1)"}),
                               timeout=3)
    result = json.loads(body)["data"]["result"] if status == 200 else []
    return bool(result) and int(float(result[0]["value"][1])) == n


@pytest.fixture(scope="session")
def ha_results():
    yield RESULTS
    if RESULTS:
        lines = ["", "HA failures injected (tests/ha):",
                 f"{'failure':<40} {'notifications received (pager)':<62} time to page"]
        for r in RESULTS:
            lines.append(f"{r['failure']:<40} {r['notifications']:<62} {r['time_to_page']}")
        print("\n".join(lines))
