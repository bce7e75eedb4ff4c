"""The receiver as a real child process, and notifications shaped as Alertmanager sends them.

The payload shape is Alertmanager's webhook `Message` (notify/webhook/webhook.go, version
"4"): groupKey, status, receiver, groupLabels, commonLabels, alerts[] with status, labels,
annotations, startsAt, endsAt, generatorURL and fingerprint.
"""
from __future__ import annotations

import base64
import hashlib
import json
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

import yaml

from lookout.devstack.proc import ExporterProcess, Metrics, http_get, wait_until


def alert(name: str, status: str = "firing", **labels) -> dict:
    labels = {"alertname": name, **labels}
    # Alertmanager's fingerprint is a hash of the label set; any stable hash will do here.
    fp = hashlib.sha256(json.dumps(labels, sort_keys=True).encode()).hexdigest()[:16]
    now = datetime.now(timezone.utc).isoformat()
    return {"status": status, "labels": labels, "annotations": {"summary": f"{name} test"},
            "startsAt": "2026-01-01T00:00:00Z", "endsAt": now if status == "resolved" else "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus.invalid/graph", "fingerprint": fp}


def notification(*alerts: dict, group_key: str = '{}/{remedy=~".+"}:{alertname="X"}') -> dict:
    status = "firing" if any(a["status"] == "firing" for a in alerts) else "resolved"
    return {"version": "4", "groupKey": group_key, "truncatedAlerts": 0, "status": status, "receiver": "remediate",
            "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {}, "externalURL": "http://am.invalid",
            "alerts": list(alerts)}


class Receiver(ExporterProcess):
    """`python -m lookout.remediate` with `config` (plus an audit log in `workdir`)."""

    def __init__(self, workdir: Path, config: dict, web_config: dict | None = None, tls: bool = False):
        config = {"audit_log": str(workdir / "audit.jsonl"), **config}
        self.audit_path = Path(config["audit_log"])
        self.config_path = workdir / "remediate.yml"
        self.config_path.write_text(yaml.safe_dump(config))
        extra = []
        if web_config is not None:
            wc = workdir / "web-config.yml"
            wc.write_text(yaml.safe_dump(web_config))
            extra = ["--web-config", str(wc)]
        super().__init__("remediate", self.config_path, workdir, extra_args=extra, tls=tls,
                         module="lookout.remediate")

    def wait_ready(self, context=None, timeout: float = 20) -> "Receiver":
        super().wait_ready(timeout, context)
        return self

    def post(self, body, auth: tuple[str, str] | None = None, context=None, raw: bytes | None = None) -> tuple[int, dict]:
        data = raw if raw is not None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        if auth:
            headers["Authorization"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        req = urllib.request.Request(self.url + "/webhook", data=data, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=20, context=context) as resp:
                return resp.status, json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as exc:
            text = exc.read()
            try:
                return exc.code, json.loads(text)
            except ValueError:
                return exc.code, {"text": text.decode(errors="replace")}

    def audit(self) -> list[dict]:
        if not self.audit_path.exists():
            return []
        return [json.loads(line) for line in self.audit_path.read_text().splitlines() if line.strip()]

    def decisions(self, **match) -> list[dict]:
        return [e for e in self.audit() if all(e.get(k) == v for k, v in match.items())]

    def wait_result(self, timeout: float = 30, **match) -> dict:
        return wait_until(lambda: next(iter(self.decisions(decision="result", **match)), None), timeout, 0.1,
                          what=f"an action result {match}")

    def metrics(self, auth_header: dict | None = None, context=None) -> Metrics:
        status, _, body = http_get(self.url + "/metrics", headers=auth_header, context=context)
        assert status == 200, body
        return Metrics(body)

def http_action(url: str, alerts: list[str], path: str = "/api/pipeline/start", **extra) -> dict:
    return {"type": "http", "alerts": alerts, "target": "tburn", "url": url, "steps": [{"path": path}], **extra}


def since(t0: float) -> float:
    return time.monotonic() - t0
