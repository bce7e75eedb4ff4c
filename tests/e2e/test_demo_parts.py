"""The demo's parts on their own, without the stack: the fast profile's rules, the demo's
Alertmanager config, the pager, the tick collector's fault memory, and the CLI's errors."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request

import pytest
import yaml

from lookout.demo import alertmanager
from lookout.demo.profiles import FAST, REAL
from lookout.demo.rules import build_rules, compress_windows, generated_rule_files
from lookout.devstack.proc import ROOT, free_port, http_get
from lookout.devstack.simulator import SimulatorProcess
from lookout.systems.ticks.simulator.faults import FAULTS, PersistentFaults


def test_window_compression_keeps_the_query_and_shrinks_only_time():
    assert compress_windows('round(increase(x{a="[1h]"}[1h]))', 60, 5) == 'round(increase(x{a="[1h]"}[60s]))'
    assert compress_windows("deriv(x[15m]) > 0", 60, 5) == "deriv(x[15s]) > 0"
    assert compress_windows("delta(x[2m])", 60, 5) == "delta(x[5s])"  # never below the floor
    assert compress_windows("max_over_time(x[30m:1m])", 60, 5) == "max_over_time(x[30s:1s])"
    assert compress_windows("x / x offset 1h", 60, 5) == "x / x offset 60s"


def _alerts(files) -> list[tuple]:
    out = []
    for path in files:
        for group in yaml.safe_load(path.read_text())["groups"]:
            out += [(r.get("alert") or r.get("record"), r.get("labels", {}).get("severity")) for r in group["rules"]]
    return sorted(out, key=str)


def test_fast_rules_are_the_generated_rules_with_shorter_timings(tmp_path):
    fast = build_rules(FAST, tmp_path / "rules")
    real = generated_rule_files()
    assert build_rules(REAL, tmp_path / "unused") == real
    assert [p.name for p in fast] == [p.name for p in real]
    assert _alerts(fast) == _alerts(real)
    res = subprocess.run(["promtool", "check", "rules", *map(str, fast)], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    text = "".join(p.read_text() for p in fast)
    assert "[1h]" not in text and "for: 10m" not in text
    stale = [r for g in yaml.safe_load((tmp_path / "rules" / "ticks.yml").read_text())["groups"] for r in g["rules"]
             if r.get("alert") == "TicksStale"]
    assert sorted(r["expr"] for r in stale) == ["ticks:table_last_tick_age_seconds:fed > 20",
                                                "ticks:table_last_tick_age_seconds:fed > 8"]
    restarts = [r for g in yaml.safe_load((tmp_path / "rules" / "ticks.yml").read_text())["groups"] for r in g["rules"]
                if r.get("record") == "ticks:container_restarts:increase1h"]
    # Docker's back-off is real time: the restart window keeps the profile's floor (profiles.py).
    assert [r["expr"] for r in restarts] == ["round(increase(ticks_container_restarts_total[180s]))"]


def test_demo_alertmanager_keeps_routing_and_inhibitions_and_pages_the_webhook(tmp_path):
    source = yaml.safe_load(alertmanager.SOURCE.read_text())  # the project's routing, read directly
    out = tmp_path / "am.yml"
    alertmanager.write(out, "http://127.0.0.1:9/", FAST)
    cfg = yaml.safe_load(out.read_text())
    assert cfg["inhibit_rules"] == source["inhibit_rules"]
    assert [r.get("matchers") for r in cfg["route"]["routes"]] == [r.get("matchers") for r in source["route"]["routes"]]
    assert cfg["route"]["group_wait"] == "1s"
    assert {r["name"]: r["webhook_configs"][0]["url"] for r in cfg["receivers"]} == \
        {r["name"]: f"http://127.0.0.1:9/{r['name']}" for r in source["receivers"]}
    res = subprocess.run(["amtool", "check-config", str(out)], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


def _post(url: str, data: bytes) -> int:
    req = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_pager_keeps_pages_and_refuses_garbage(tmp_path):
    pager = SimulatorProcess(tmp_path, [], module="lookout.demo.webhook")
    try:
        # The webhook has no /_sim API: wait for its own listing instead.
        from lookout.devstack.proc import wait_until
        wait_until(lambda: http_get(pager.url + "/api/notifications", timeout=1)[0] == 200, 15)
        payload = {"version": "4", "status": "firing", "receiver": "pager",
                   "alerts": [{"status": "firing", "labels": {"alertname": "TburnDown", "severity": "critical",
                                                             "system": "tburn", "instance": "x:1"},
                               "annotations": {"summary": "TBURN is down"}, "startsAt": "2025-01-01T00:00:00Z"}]}
        assert _post(pager.url + "/pager", json.dumps(payload).encode()) == 200
        assert _post(pager.url + "/pager", b"{not json") == 400
        assert _post(pager.url + "/pager", b"[1, 2]") == 400
        pages = json.loads(http_get(pager.url + "/api/notifications")[2])
        assert [(p["alertname"], p["receiver"], p["status"]) for p in pages] == [("TburnDown", "pager", "firing")]
        assert "TburnDown" in http_get(pager.url + "/")[2]
    finally:
        pager.stop()


def test_tick_collector_faults_outlive_a_restart(tmp_path):
    state = tmp_path / "faults.json"
    first = PersistentFaults(FAULTS, str(state))
    first.inject("crash-loop", {"run_seconds": 2})
    first.inject("slow", {"for": 0.3})
    first.inject("stall")
    second = PersistentFaults(FAULTS, str(state))  # the process after Docker restarted it
    assert second.get("crash-loop")["run_seconds"] == 2
    assert second.get("slow") is not None
    assert second.get("stall") is None  # a restart opens a new WebSocket: the one fault it cures
    time.sleep(0.4)
    assert PersistentFaults(FAULTS, str(state)).get("slow") is None  # expired while it was down
    second.clear("crash-loop")
    assert PersistentFaults(FAULTS, str(state)).active() == []


def test_cli_says_when_no_demo_answers():
    url = f"http://127.0.0.1:{free_port()}"
    res = subprocess.run([sys.executable, "-m", "lookout.cli", "demo", "inject", "tburn-down", "--url", url],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert res.returncode == 3
    assert "no demo answers" in res.stderr and url in res.stderr


@pytest.mark.parametrize("argv", [["demo", "inject"], ["demo", "up", "--profile", "slow"], ["nothing"]])
def test_cli_usage_errors_exit_2(argv):
    res = subprocess.run([sys.executable, "-m", "lookout.cli", *argv], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 2, res.stderr


class _StackWithoutDocker:
    """The part of lookout.demo.native.NativeStack a demo target uses, minus Docker, with
    PostgreSQL borrowed from the real NativeStack (a named stand-in, not a mock server)."""

    def __init__(self):
        from lookout.demo.native import NativeStack
        self._real = NativeStack(FAST, say=lambda _: None, random_ports=True, docker="off")
        self.profile, self.dir, self.sims, self.notes = FAST, self._real.dir, self._real.sims, self._real.notes
        self.on_stop, self.postgres, self.stop = self._real.on_stop, self._real.postgres, self._real.stop
        self.unavailable, self.docker_absent = self._real.unavailable, "Docker off (--no-docker)"

    def docker(self):
        return None


def test_ticks_target_runs_as_a_plain_process_without_docker():
    from lookout.systems.ticks import target as ticks
    before = dict(os.environ)
    stack = _StackWithoutDocker()
    assert dict(os.environ) == before  # the stack sets LOOKOUT_DEMO_ID in start(), not when built
    try:
        cfg = ticks.start(stack)
        status, _, _ = http_get(stack.sims["ticks"] + "/_sim/faults", timeout=5)
        assert status == 200
        assert "docker" not in cfg and cfg["database"]["dsn_file"] == str(stack.postgres("crypto_data"))
        assert stack.notes == ["Docker off (--no-docker): the tick collector runs as a plain process; "
                               "collector-crashloop and the container panels are unavailable."]
        assert stack.unavailable == {"docker": "the tick collector is not in a container (Docker cannot run here)"}
    finally:
        stack.stop()


def test_demo_routing_is_the_committed_alertmanager_config():
    # The committed, generated file is what production loads; the demo builds the same in-process.
    committed = yaml.safe_load(alertmanager.SOURCE.read_text())
    assert alertmanager.source() == committed


def test_remediation_reaches_the_terminal_the_pager_page_and_recover(tmp_path):
    """Issue 20: the demo restarted the collector for TicksStale and nobody was told; recover
    said "nothing was broken". Read from lookout-remediate's audit log (its `result` line)."""
    from lookout.demo import lines
    from lookout.demo.control import Controller
    from lookout.devstack.proc import wait_until
    audit = tmp_path / "remediate-audit.jsonl"
    pager = SimulatorProcess(tmp_path, [], module="lookout.demo.webhook")
    try:
        wait_until(lambda: http_get(pager.url + "/api/notifications", timeout=1)[0] == 200, 15)
        follower = lines.RemediationFollower(audit, pager.url)
        ctl = Controller({}, infra=None, audit_log=audit)
        ctl.active["ticks-stall"] = {"since": time.time() - 1, "until": None}
        audit.write_text(json.dumps({"unix": time.time(), "decision": "acted", "action": "restart-collector"}) + "\n"
                         + json.dumps({"unix": time.time(), "decision": "result", "result": "ok",
                                       "action": "restart-collector", "target": "lookout-demo-tick-collector",
                                       "alertname": "TicksStale", "detail": "restarted"}) + "\n")
        said = follower.poll()
        assert len(said) == 1 and "remediate OK" in said[0] and "restart-collector" in said[0] and "worked" in said[0]
        assert follower.poll() == []  # once
        shown = json.loads(http_get(pager.url + "/api/remediations")[2])
        assert [(r["action"], r["result"]) for r in shown] == [("restart-collector", "ok")]
        assert "restart-collector" in http_get(pager.url + "/")[2]
        ctl.sims = {"ticks": "http://127.0.0.1:1"}  # the stall itself is gone with the restart
        ctl._sim = lambda *a, **k: {"cleared": False}
        line = lines.recover_line(ctl.recover("ticks-stall"))
        assert "nothing was broken" not in line and "already mended" in line and "restart-collector" in line, line
    finally:
        pager.stop()


def test_inject_says_where_the_first_notification_goes():
    from lookout.demo import lines
    from lookout.demo.scenarios import SCENARIOS
    breaker = SCENARIOS["tburn-breaker-open"]
    line = lines.inject_line({"scenario": breaker.name, "system": "tburn", "expect": breaker.expectation()})
    assert "in chat (a warning, no page)" in line and "to page" not in line
    assert "expect TburnDown to page" in SCENARIOS["tburn-down"].expectation()
