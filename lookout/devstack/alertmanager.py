"""A real Alertmanager (Debian's prometheus-alertmanager) and a webhook receiver that
records what it is sent, both on 127.0.0.1 with random ports."""
from __future__ import annotations

import json
import shutil
import subprocess
import threading
import urllib.request
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

from lookout.devstack.proc import free_port, http_get, terminate, wait_until

BINARY = "prometheus-alertmanager"


class WebhookRecorder:
    """Records every POST: path, headers and JSON body, in arrival order."""

    def __init__(self):
        self.received: list[dict] = []
        self._lock = threading.Lock()
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with recorder._lock:
                    recorder.received.append({"path": self.path, "headers": dict(self.headers),
                                              "body": json.loads(body or b"null")})
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):  # keep pytest output clean
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def posts(self, path: str) -> list[dict]:
        with self._lock:
            return [r for r in self.received if r["path"] == path]

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


def shortened_config(real: dict, urls: dict[str, str], wait: str = "1s") -> dict:
    """The real config with only timing shortened and each receiver's webhook pointed at
    `urls[receiver]` (a receiver not in `urls` gets no webhook); routes, matchers,
    inhibitions and credentials stay as they are."""
    config = json.loads(json.dumps(real))  # deep copy

    def shorten(route: dict) -> None:
        for key in ("group_wait", "group_interval"):
            if key in route:
                route[key] = wait
        for child in route.get("routes", []):
            shorten(child)

    shorten(config["route"])
    config["route"]["group_wait"] = config["route"]["group_interval"] = wait
    for receiver in config["receivers"]:
        if receiver["name"] not in urls:  # a receiver the test does not watch receives nothing
            receiver.pop("webhook_configs", None)
        for hook in receiver.get("webhook_configs", []):
            hook["url"] = urls[receiver["name"]]
    return config


class Alertmanager:
    """`prometheus-alertmanager` as a child process, gossip off, state in `workdir`."""

    def __init__(self, config: dict, workdir: Path):
        if shutil.which(BINARY) is None:
            raise RuntimeError(f"{BINARY} is missing: scripts/install-deps installs prometheus-alertmanager")
        self.workdir = workdir
        self.config_path = workdir / "alertmanager.yml"
        self.config_path.write_text(yaml.safe_dump(config, sort_keys=False))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "alertmanager.log"
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [BINARY, f"--config.file={self.config_path}", f"--web.listen-address=127.0.0.1:{self.port}",
             "--cluster.listen-address=", f"--storage.path={workdir / 'data'}"],
            stdout=self._log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 20) -> "Alertmanager":
        def ready():
            if self.proc.poll() is not None:
                raise RuntimeError(f"alertmanager exited with {self.proc.returncode}: {self.logs()}")
            return http_get(self.url + "/-/ready", timeout=2)[0] == 200
        wait_until(ready, timeout, what=f"alertmanager on {self.url}")
        return self

    def post(self, alerts: list[dict], minutes: int = 10) -> None:
        """Fire `alerts` ({labels, annotations}) as Prometheus would, for `minutes`."""
        now = datetime.now(timezone.utc)
        body = [{"labels": a["labels"], "annotations": a.get("annotations", {}),
                 "startsAt": now.isoformat(), "endsAt": (now + timedelta(minutes=minutes)).isoformat()}
                for a in alerts]
        req = urllib.request.Request(self.url + "/api/v2/alerts", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert resp.status == 200, resp.read()

    def alerts(self) -> list[dict]:
        status, _, body = http_get(self.url + "/api/v2/alerts", timeout=10)
        assert status == 200, body
        return json.loads(body)

    def logs(self) -> str:
        self._log.flush()
        return self.log_path.read_text()

    def stop(self) -> None:
        terminate(self.proc)
        self._log.close()
