"""One closed loop on real parts: the project's Alertmanager config (real Alertmanager) routing
to a pager (a recording webhook) and to lookout-remediate, which acts on a real system.

The test plays Prometheus: it fires an alert with the labels the generated rule gives it
(alert_rules/generated/*.yml) when it sees the fault, and resolves it when it sees the
system recovered, exactly as the rule's condition would.
"""
from __future__ import annotations

import json
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

import bcrypt
import yaml

from lookout.alert_rules.settings import OUTPUT_DIR
from lookout.devstack.alertmanager import Alertmanager, WebhookRecorder, shortened_config
from lookout.devstack.proc import ROOT, wait_until

from .harness import Receiver

AM_CONFIG = ROOT / "prometheus" / "alertmanager.yml"
HOOK_PASSWORD = "am-to-remediate-pw-51"


def rule_labels(alert: str, severity: str) -> dict:
    """The labels the generated rule of `alert` at `severity` puts on the alert."""
    for path in sorted(OUTPUT_DIR.glob("*.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                if rule.get("alert") == alert and rule["labels"]["severity"] == severity:
                    return {"alertname": alert, **rule["labels"]}
    raise LookupError(f"no generated rule {alert} ({severity})")


class Loop:
    def __init__(self, workdir: Path, actions: dict, **guards):
        self.workdir = workdir
        self.pager = WebhookRecorder()
        hashed = bcrypt.hashpw(HOOK_PASSWORD.encode(), bcrypt.gensalt(rounds=6)).decode()
        (workdir / "secrets").mkdir(exist_ok=True)
        (workdir / "secrets" / "remediate-password").write_text(HOOK_PASSWORD + "\n")
        (workdir / "secrets" / "pager-key").write_text("pager-key-test\n")
        self.receiver = Receiver(workdir, {"dry_run": False, "actions": actions, **guards},
                                 web_config={"basic_auth_users": {"alertmanager": hashed}}).wait_ready()
        config = shortened_config(yaml.safe_load(AM_CONFIG.read_text()),
                                  {"pager": self.pager.url("/pager"), "chat": self.pager.url("/chat"),
                                   "remediate": self.receiver.url + "/webhook"})
        self.am = Alertmanager(config, workdir).wait_ready()
        self.started: dict[str, datetime] = {}  # startsAt per firing label set, kept while it fires

    def _post(self, labels: dict, ends: datetime) -> None:
        body = [{"labels": labels, "annotations": {"summary": "test"},
                 "startsAt": self.started.get(json.dumps(labels, sort_keys=True), datetime.now(timezone.utc)).isoformat(),
                 "endsAt": ends.isoformat()}]
        req = urllib.request.Request(self.am.url + "/api/v2/alerts", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert resp.status == 200

    def fire(self, labels: dict) -> float:
        self.started = {**self.started, json.dumps(labels, sort_keys=True): datetime.now(timezone.utc)}
        self._post(labels, datetime.now(timezone.utc) + timedelta(minutes=10))
        return time.monotonic()

    def resolve(self, labels: dict) -> None:
        self._post(labels, datetime.now(timezone.utc))
        self.started = {k: v for k, v in self.started.items() if k != json.dumps(labels, sort_keys=True)}

    def page(self, alertname: str, status: str = "firing", timeout: float = 30, receiver: str = "/pager") -> dict:
        def found():
            for post in self.pager.posts(receiver):
                for a in post["body"]["alerts"]:
                    if a["labels"]["alertname"] == alertname and a["status"] == status:
                        return a
            return None
        return wait_until(found, timeout, 0.1, what=f"a {status} page for {alertname}")

    def stop(self) -> None:
        self.am.stop()
        self.receiver.stop()
        self.pager.stop()
