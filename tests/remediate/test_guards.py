"""The receiver's guards, against a real HTTP target (a recording server): each abuse of the
webhook does nothing, and every decision is audited without a secret."""
from __future__ import annotations

import json
import socket
import ssl
import time

import bcrypt
import pytest

from lookout.devstack.alertmanager import WebhookRecorder
from lookout.devstack.certs import make_ca, make_leaf
from lookout.devstack.proc import http_get, promtool_check_metrics, wait_until

from .harness import alert, http_action, notification

COOKIE = "connect.sid=s%3Asess-Zq81-secret.sig"
PASSWORD = "am-hook-pw-7731"


@pytest.fixture
def target():
    rec = WebhookRecorder()
    yield rec
    rec.stop()


def base(target, tmp_path, **over) -> dict:
    (tmp_path / "cookie").write_text(COOKIE + "\n")
    cfg = {"dry_run": False, "cooldown_seconds": 600, "max_attempts": 3, "window_seconds": 3600,
           "actions": {"tburn-pipeline-restart": http_action(target.url(""), ["TburnPipelineStopped"],
                                                             cookie_file=str(tmp_path / "cookie"))}}
    cfg.update(over)
    return cfg


FIRING = dict(severity="warning", system="tburn", remedy="tburn-pipeline-restart", instance="tburn:5000")


def test_a_firing_alert_runs_its_action_once_and_a_replay_does_not_repeat_it(receiver, target, tmp_path):
    r = receiver(base(target, tmp_path))
    note = notification(alert("TburnPipelineStopped", **FIRING))
    status, answer = r.post(note)
    assert status == 200 and answer["decisions"][0]["decision"] == "acted"
    result = r.wait_result(action="tburn-pipeline-restart")
    assert result["result"] == "ok", result
    posts = target.posts("/api/pipeline/start")
    assert len(posts) == 1
    assert posts[0]["headers"]["Cookie"] == COOKIE  # the action authenticates as the app expects
    # Alertmanager's repeat notification, and a replay of the same bytes: no second call.
    for _ in range(2):
        status, answer = r.post(note)
        assert status == 200 and answer["decisions"][0]["decision"] == "cooldown"
    time.sleep(1)
    assert len(target.posts("/api/pipeline/start")) == 1
    m = r.metrics()
    assert m.get("lookout_remediation_actions_total", action="tburn-pipeline-restart", result="ok") == 1
    assert m.get("lookout_remediation_decisions_total", decision="cooldown") == 2
    assert m.get("lookout_remediation_last_action_timestamp_seconds", action="tburn-pipeline-restart") > time.time() - 60
    assert promtool_check_metrics(m.text) == ""


@pytest.mark.parametrize("alerts, decision", [
    ([alert("TburnPipelineStopped", "resolved", **FIRING)], "resolved"),
    ([alert("SomethingElse", severity="warning", system="tburn")], "unknown"),                    # no remedy
    ([alert("TburnPipelineStopped", severity="warning", system="tburn", remedy="rm-rf")], "unknown"),  # not configured
    ([alert("TburnDown", severity="critical", system="tburn", remedy="tburn-pipeline-restart")], "unknown"),  # not its alert
])
def test_unknown_or_resolved_alerts_do_nothing(receiver, target, tmp_path, alerts, decision):
    r = receiver(base(target, tmp_path))
    status, answer = r.post(notification(*alerts))
    assert status == 200
    assert [d["decision"] for d in answer["decisions"]] == [decision]
    time.sleep(1)
    assert target.received == []
    assert r.decisions(decision="result") == []
    assert [e["decision"] for e in r.audit()] == [decision]


def test_dry_run_is_the_default_and_the_off_switch_stops_everything(receiver, target, tmp_path):
    cfg = base(target, tmp_path)
    del cfg["dry_run"]
    r = receiver(cfg)
    assert r.post(notification(alert("TburnPipelineStopped", **FIRING)))[1]["decisions"][0]["decision"] == "dry_run"
    assert r.metrics().get("lookout_remediation_dry_run") == 1
    r.stop()
    r2 = receiver({**base(target, tmp_path), "enabled": False})
    assert r2.post(notification(alert("TburnPipelineStopped", **FIRING)))[1]["decisions"][0]["decision"] == "disabled"
    assert r2.metrics().get("lookout_remediation_enabled") == 0
    time.sleep(1)
    assert target.received == []


def test_a_hanging_action_is_cut_at_its_bound(receiver, tmp_path):
    # A real listening socket that never answers: the connection is accepted by the kernel
    # and the request sits there, as with a wedged application.
    hang = socket.socket()
    hang.bind(("127.0.0.1", 0))
    hang.listen(8)
    try:
        action = http_action(f"http://127.0.0.1:{hang.getsockname()[1]}", ["TburnPipelineStopped"],
                             timeout_seconds=1.5)
        r = receiver({"dry_run": False, "actions": {"tburn-pipeline-restart": action}})
        t0 = time.monotonic()
        assert r.post(notification(alert("TburnPipelineStopped", **FIRING)))[0] == 200
        assert time.monotonic() - t0 < 1.5, "the webhook must answer before the action ends"
        result = r.wait_result(timeout=20)
        assert result["result"] == "timeout"
        assert 1.4 <= result["duration_seconds"] < 6, result  # cut near its bound, generously
        assert r.metrics().get("lookout_remediation_actions_total", action="tburn-pipeline-restart",
                               result="timeout") == 1
    finally:
        hang.close()


@pytest.mark.parametrize("raw, reason", [
    (b"{not json", "not JSON"),
    (b"[]", "not a JSON object"),
    (json.dumps({"version": "3", "groupKey": "g", "alerts": []}).encode(), "unsupported webhook version"),
    (json.dumps({"version": "4", "alerts": []}).encode(), "groupKey"),
    (json.dumps({"version": "4", "groupKey": "g", "alerts": {}}).encode(), "alerts is not a list"),
    (json.dumps({"version": "4", "groupKey": "g", "alerts": [{"status": "firing", "labels": {"a": 1}}]}).encode(),
     "labels"),
    (json.dumps({"version": "4", "groupKey": "g", "alerts": [{"status": "exploded", "fingerprint": "f",
                                                              "labels": {"alertname": "X"}}]}).encode(), "status"),
    (b"\xff\xfe\x00", "not JSON"),
    # Deeper than Python's recursion limit: json.loads raises RecursionError, which was a 500.
    (b'{"alerts":' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nested too deeply"),
])
def test_a_malformed_payload_gets_400_and_a_log_line(receiver, target, tmp_path, raw, reason):
    r = receiver(base(target, tmp_path))
    status, answer = r.post(None, raw=raw)
    assert status == 400 and reason in answer["error"]
    wait_until(lambda: "malformed notification" in r.logs() and reason.split()[0] in r.logs(), 10,
               what="the log line")
    assert r.metrics().get("lookout_remediation_notifications_total", outcome="malformed") == 1
    assert target.received == [] and r.audit() == []


def test_a_fault_that_keeps_coming_back_stops_after_max_attempts(receiver, target, tmp_path):
    r = receiver(base(target, tmp_path, cooldown_seconds=0, max_attempts=2))
    note = notification(alert("TburnPipelineStopped", **FIRING))
    decisions = []
    for _ in range(4):
        decisions.append(r.post(note)[1]["decisions"][0]["decision"])
        wait_until(lambda: len(r.decisions(decision="result")) >= min(len(decisions), 2), 20)
    assert decisions == ["acted", "acted", "exhausted", "exhausted"]
    assert len(target.posts("/api/pipeline/start")) == 2
    m = r.metrics()
    assert m.get("lookout_remediation_exhausted", action="tburn-pipeline-restart", alert="TburnPipelineStopped") == 1
    # Resolved: the fault is gone, nothing is exhausted any more (no action either).
    r.post(notification(alert("TburnPipelineStopped", "resolved", **FIRING)))
    assert r.metrics().get("lookout_remediation_exhausted", action="tburn-pipeline-restart",
                           alert="TburnPipelineStopped") == 0
    # A restarted receiver remembers the attempts from its audit log.
    r.stop()
    r2 = receiver(base(target, tmp_path, cooldown_seconds=0, max_attempts=2))
    assert r2.post(note)[1]["decisions"][0]["decision"] == "exhausted"
    assert len(target.posts("/api/pipeline/start")) == 2


def test_a_target_label_must_be_allowed(receiver, target, tmp_path):
    action = http_action(target.url(""), ["TburnPipelineStopped"])
    action.pop("target")
    action.update(target_label="instance", allowed=["tburn:5000"])
    r = receiver({"dry_run": False, "actions": {"tburn-pipeline-restart": action}})
    bad = {**FIRING, "instance": "elsewhere:5000"}
    assert r.post(notification(alert("TburnPipelineStopped", **bad)))[1]["decisions"][0]["decision"] == "not_allowed"
    assert r.post(notification(alert("TburnPipelineStopped", **FIRING)))[1]["decisions"][0]["decision"] == "acted"
    r.wait_result()
    assert len(target.received) == 1


def test_unauthenticated_post_is_rejected_over_tls(receiver, target, tmp_path):
    ca = make_ca(tmp_path / "pki")
    crt, key = make_leaf(tmp_path / "pki", ca, "remediate", ["localhost"], ["127.0.0.1"])
    hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=6)).decode()
    web_config = {"tls_server_config": {"cert_file": str(crt), "key_file": str(key)},
                  "basic_auth_users": {"alertmanager": hashed}}
    ctx = ssl.create_default_context(cafile=str(ca[0]))
    r = receiver(base(target, tmp_path), web_config=web_config, tls=True, ready_context=ctx)
    note = notification(alert("TburnPipelineStopped", **FIRING))
    for auth in (None, ("alertmanager", "wrong"), ("someone", PASSWORD)):
        status, _ = r.post(note, auth=auth, context=ctx)
        assert status == 401, auth
    assert http_get(r.url + "/metrics", context=ctx)[0] == 401
    with pytest.raises(Exception):  # plain HTTP to the TLS port gets nowhere
        http_get(r.url.replace("https", "http") + "/-/healthy", timeout=3)
    time.sleep(1)
    assert target.received == [] and r.audit() == []
    status, answer = r.post(note, auth=("alertmanager", PASSWORD), context=ctx)
    assert status == 200 and answer["decisions"][0]["decision"] == "acted"
    r.wait_result()
    assert len(target.received) == 1
    assert "unauthorized request" in r.logs()


def test_the_audit_log_holds_every_decision_and_no_secret(receiver, target, tmp_path):
    r = receiver(base(target, tmp_path, cooldown_seconds=0, max_attempts=1))
    # A label carrying a secret (a rule that copied one by mistake) is scrubbed too.
    leaky = {**FIRING, "dsn": f"postgres://collector:{PASSWORD}@db/ticks"}
    steps = [notification(alert("TburnPipelineStopped", **leaky)),                       # acted, then result
             notification(alert("TburnPipelineStopped", **leaky)),                       # exhausted
             notification(alert("Other", severity="warning", system="tburn")),           # unknown
             notification(alert("TburnPipelineStopped", "resolved", **leaky))]           # resolved
    for note in steps:
        assert r.post(note)[0] == 200
    r.wait_result()
    entries = r.audit()
    decisions = [e["decision"] for e in entries]
    # Each post's decision is audited before its answer, so those follow the posts' order; the
    # action's "result" is written when the action ends, on its own task: anywhere after its
    # "acted" (under load, after every later post), never before it, and once.
    assert [d for d in decisions if d != "result"] == ["acted", "exhausted", "unknown", "resolved"]
    assert decisions.count("result") == 1 and decisions.index("result") > decisions.index("acted")
    acted, result = entries[decisions.index("acted")], entries[decisions.index("result")]
    assert result["fingerprint"] == acted["fingerprint"]
    for e in entries:
        assert {"ts", "decision", "alertname", "fingerprint", "group_key", "detail"} <= set(e)
    text = r.audit_path.read_text() + r.logs() + http_get(r.url + "/")[2] + r.metrics().text
    assert "sess-Zq81-secret" not in text and PASSWORD not in text
    landing = http_get(r.url + "/")[2]
    assert "TburnPipelineStopped" in landing and "exhausted" in landing
