"""Runbook 002's e-mail alerts, end to end: Debian's Alertmanager with the generated routing
plus lookout/alert_rules/email.py's receiver, delivering over STARTTLS with AUTH to a real SMTP
server (aiosmtpd) on loopback. The alerts are posted as Prometheus posts them, with the labels
and annotations of the generated rule file (lookout/alert_rules/generated/ticks.yml, the
description rendered by tests/alerts/gotemplate.py as Prometheus would).

Expected values come from runbook 002 ("Alerts sent when: collector restarts > 10 times/hour,
error rate > 100/hour, no ticks received for > 10 minutes, disk usage > 90%") and from the rule
file, not from email.py.
"""
from __future__ import annotations

import email
import email.policy
import ssl
import subprocess
import threading
import time
from pathlib import Path

import pytest
import yaml

from lookout.alert_rules import routing
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from lookout.alert_rules.catalog import build
from lookout.alert_rules.email import SmtpSettings, with_email
from lookout.devstack.alertmanager import Alertmanager, shortened_config
from lookout.devstack.certs import make_ca, make_leaf
from lookout.devstack.proc import ROOT, free_port, wait_until

from .gotemplate import render


RULES = yaml.safe_load((ROOT / "lookout" / "alert_rules" / "generated" / "ticks.yml").read_text())
USER, PASSWORD = "collector@example.test", "smtp-pw-Q7v3-Narwhal"
FROM, TO = "lookout@example.test", "owner@example.test"


def rule(alert: str, severity: str) -> dict:
    return next(r for g in RULES["groups"] for r in g["rules"]
                if r.get("alert") == alert and r["labels"]["severity"] == severity)


def threshold(alert: str, severity: str) -> float:
    return float(rule(alert, severity)["expr"].rsplit(">", 1)[1].strip("= "))


def firing(alert: str, severity: str, value: float, **labels) -> dict:
    r = rule(alert, severity)
    labels = {"alertname": alert, "job": "ticks", "instance": "nas.example.internal:9862", **r["labels"], **labels}
    annotations = {k: render(v, value, labels) for k, v in r["annotations"].items()}
    return {"labels": labels, "annotations": annotations}


class Mailbox:
    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.logins: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login.decode(), auth_data.password.decode()) == (
            USER, PASSWORD)
        with self.lock:
            self.logins.append((mechanism, "ok" if ok else "refused"))
        return AuthResult(success=ok)


@pytest.fixture
def smtp(tmp_path):
    ca = make_ca(tmp_path)
    cert, key = make_leaf(tmp_path, ca, "smtp", ["localhost"], ["127.0.0.1"])
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    box = Mailbox()
    port = free_port()
    # PLAIN only: aiosmtpd's LOGIN challenges ("User Name\0") are not the "Username:" that
    # Alertmanager's LOGIN client (and real servers such as Gmail) use.
    controller = Controller(box, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True,
                            authenticator=box.authenticate, auth_required=True, auth_require_tls=True,
                            auth_exclude_mechanism=["LOGIN"])
    controller.start()
    box.port, box.ca = port, ca[0]
    try:
        yield box
    finally:
        controller.stop()


@pytest.fixture
def alertmanager(tmp_path, smtp):
    password_file = tmp_path / "smtp-password"
    password_file.write_text(PASSWORD)
    signals = build()
    settings = SmtpSettings(f"127.0.0.1:{smtp.port}", FROM, TO, USER, str(password_file), ca_file=str(smtp.ca))
    config = shortened_config(with_email(routing.config(signals), signals, settings), urls={})
    am = Alertmanager(config, tmp_path).wait_ready()
    try:
        yield am
    finally:
        am.stop()


def test_the_conditions_thresholds_are_the_runbooks():
    """Runbook 002's numbers, as the generated rules carry them at the mailed severities."""
    assert threshold("CollectorRestarting", "critical") == 10           # > 10 times/hour
    assert threshold("TicksStale", "critical") == 600                   # > 10 minutes
    assert threshold("DiskUsageHigh", "warning") == 0.9                 # > 90%
    # "> 100/hour" lies between the runbook table's yellow (50) and red (200): both are mailed.
    assert (threshold("CollectorErrorsHigh", "warning"), threshold("CollectorErrorsHigh", "critical")) == (50, 200)


def test_amtool_accepts_the_config_and_it_holds_no_password(tmp_path):
    signals = build()
    settings = SmtpSettings("smtp.example.com:587", FROM, TO, USER, "secrets/smtp-password")
    path = tmp_path / "alertmanager.yml"
    path.write_text(yaml.safe_dump(with_email(routing.config(signals), signals, settings)))
    res = subprocess.run(["amtool", "check-config", str(path)], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stdout + res.stderr
    assert PASSWORD not in path.read_text()


def test_each_runbook_condition_arrives_as_one_readable_message(alertmanager, smtp):
    incidents = [
        firing("CollectorRestarting", "critical", 12, container="eth-collector"),
        firing("CollectorErrorsHigh", "warning", 130, container="eth-collector"),
        firing("TicksStale", "critical", 720, table="eth_option_quotes"),
        # One incident at both severities: the critical mutes the warning (inhibition), one message.
        firing("DiskUsageHigh", "warning", 0.96, path="/var/lib/postgresql/data"),
        firing("DiskUsageHigh", "critical", 0.96, path="/var/lib/postgresql/data"),
    ]
    not_mailed = [
        firing("CollectorRestarting", "warning", 4, container="other-collector"),   # 3-10/hour: chat only
        firing("TickRateLow", "warning", 120, table="eth_option_quotes"),           # not a runbook condition
    ]
    alertmanager.post(incidents + not_mailed)
    wait_until(lambda: len(smtp.messages) >= 4, 60, what="four e-mails")
    time.sleep(5)  # several group intervals (1 s here): nothing more may come
    assert len(smtp.messages) == 4, [m["Subject"] for m in smtp.messages]

    subjects = sorted(m["Subject"] for m in smtp.messages)
    assert subjects == sorted([
        "[CRITICAL] CollectorRestarting on nas.example.internal:9862: Docker keeps restarting the tick collector.",
        "[WARNING] CollectorErrorsHigh on nas.example.internal:9862: The tick collector is logging many errors.",
        "[CRITICAL] TicksStale on nas.example.internal:9862: No new ticks have been written for minutes.",
        "[CRITICAL] DiskUsageHigh on nas.example.internal:9862: A volume the tick stack writes to is nearly full.",
    ])
    for message in smtp.messages:
        assert message["From"] == FROM and message["To"] == TO
        body = message.get_body(("plain",)).get_content()
        alert = message["Subject"].split("] ")[1].split(" ")[0]
        expected = next(a for a in incidents if a["labels"]["alertname"] == alert
                        and a["labels"]["severity"] in message["Subject"].lower())
        assert expected["annotations"]["description"] in body
        assert f"runbook:  {expected['annotations']['runbook_url']}" in body
        assert "{{" not in body
    disk = next(m for m in smtp.messages if "DiskUsageHigh" in m["Subject"])
    assert "(warning)" not in disk.get_body(("plain",)).get_content()
    assert smtp.envelopes == [(FROM, [TO])] * 4
    # Authenticated over STARTTLS (the server refuses AUTH before it), with the file's password.
    assert {outcome for _, outcome in smtp.logins} == {"ok"}


def test_the_password_appears_nowhere(alertmanager, smtp, tmp_path):
    alertmanager.post([firing("TicksStale", "critical", 900, table="eth_option_quotes")])
    wait_until(lambda: smtp.messages, 60, what="the e-mail")
    from lookout.devstack.proc import http_get
    status, _, body = http_get(alertmanager.url + "/api/v2/status")
    assert status == 200 and "smtp-password" in body  # the file's path, as configured
    for text in (body, alertmanager.logs(), (tmp_path / "alertmanager.yml").read_text(),
                 *(m.as_string() for m in smtp.messages)):
        assert PASSWORD not in text and PASSWORD[:8] not in text


def test_a_wrong_password_delivers_nothing_and_is_never_echoed(tmp_path, smtp):
    (tmp_path / "smtp-password").write_text("not-the-password-XYZ")
    signals = build()
    settings = SmtpSettings(f"127.0.0.1:{smtp.port}", FROM, TO, USER, str(tmp_path / "smtp-password"),
                            ca_file=str(smtp.ca))
    am = Alertmanager(shortened_config(with_email(routing.config(signals), signals, settings), urls={}),
                      tmp_path).wait_ready()
    try:
        am.post([firing("TicksStale", "critical", 900, table="eth_option_quotes")])
        wait_until(lambda: "refused" in {o for _, o in smtp.logins}, 60, what="the refused login")
        time.sleep(3)  # its retries
        assert smtp.messages == []
        assert "not-the-password-XYZ" not in am.logs()
    finally:
        am.stop()


def test_the_cli_writes_a_config_amtool_accepts(tmp_path):
    out = tmp_path / "alertmanager.yml"
    res = subprocess.run([str(Path(ROOT / ".venv/bin/python")), "-m", "lookout.alert_rules.email",
                          "--smarthost", "smtp.gmail.com:587", "--from", FROM, "--to", TO,
                          "--auth-username", USER, "--auth-password-file", "/etc/prometheus/secrets/smtp-password",
                          "--out", str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    cfg = yaml.safe_load(out.read_text())
    [mail] = [r for r in cfg["receivers"] if r["name"] == "email"]
    assert mail["email_configs"][0]["auth_password_file"] == "/etc/prometheus/secrets/smtp-password"
    assert subprocess.run(["amtool", "check-config", str(out)], capture_output=True, timeout=60).returncode == 0
