"""The scale-out path on a real engine: Debian's VictoriaMetrics (single node) receiving remote
write from the HA Prometheus pair, de-duplicating the two replicas as docs/deploying.md says
(`replica` dropped by `-relabelConfig`, `-dedup.minScrapeInterval` = the scrape interval), and
Debian's vmalert evaluating Lookout's generated rules against it.

Data: the pair scrapes each other, its Alertmanager, the TBURN exporter on the TBURN simulator
(with heap pressure injected, so TBURN's alerts have something to fire on) and a Nectar target
that is down (ExporterDown). Every rule's expression is evaluated by Prometheus (replica a) and
by VictoriaMetrics at the same instant; the verdict per rule is written to
`vmalert-verdict.json` in pytest's temp dir and printed.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.parse
from pathlib import Path

import pytest
import yaml

from lookout.deploy import remote_write
from lookout.deploy.local import FAST, LocalHA, Proc
from lookout.devstack.alertmanager import WebhookRecorder
from lookout.devstack.proc import ROOT, ExporterProcess, free_port, http_get, wait_until
from lookout.devstack.simulator import SimulatorProcess

VM = shutil.which("victoria-metrics")
VMALERT = shutil.which("vmalert")
pytestmark = pytest.mark.skipif(not (VM and VMALERT), reason="victoria-metrics missing: ./scripts/install-deps")
RULE_FILES = sorted((ROOT / "lookout" / "alert_rules" / "generated").glob("*.yml"))
META = ROOT / "deploy" / "ha" / "rules" / "lookout-ha.yml"


def query(url: str, expr: str, at: float) -> list[dict]:
    status, _, body = http_get(url + "/api/v1/query?" + urllib.parse.urlencode({"query": expr, "time": f"{at:.3f}"}),
                               timeout=10)
    answer = json.loads(body)
    if status != 200 or answer.get("status") != "success":
        raise AssertionError(f"{expr}: {status} {body[:300]}")
    return answer["data"]["result"]


def series(result: list[dict]) -> set[tuple]:
    """The label sets of a result, without the external labels: Prometheus adds them only to what
    it sends (remote write), so its own queries lack `cluster`, and VictoriaMetrics drops `replica`."""
    return {tuple(sorted((k, v) for k, v in r["metric"].items() if k not in ("replica", "cluster"))) for r in result}


def value_difference(prom: list[dict], victoria: list[dict]) -> float | None:
    """The largest relative difference between the two engines' values of the same series
    (informational: the replicas scrape at their own instants, and de-duplication keeps one)."""
    mine = {s: float(r["value"][1]) for r, s in ((r, next(iter(series([r])))) for r in prom)}
    diffs = []
    for r in victoria:
        key = next(iter(series([r])))
        if key in mine:
            a, b = mine[key], float(r["value"][1])
            diffs.append(0.0 if a == b else abs(a - b) / max(abs(a), abs(b)))
    return round(max(diffs), 4) if diffs else None


def test_vmalert_dry_run_accepts_every_rule_and_rejects_a_broken_one(tmp_path):
    res = subprocess.run([VMALERT, "-dryRun", *(f"-rule={f}" for f in [*RULE_FILES, META])],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    broken = tmp_path / "broken.yml"
    broken.write_text(yaml.safe_dump({"groups": [{"name": "x", "rules": [{"alert": "X", "expr": "rate(up[5m]"}]}]}))
    res = subprocess.run([VMALERT, "-dryRun", f"-rule={broken}"], capture_output=True, text=True, timeout=60)
    assert res.returncode != 0 and "rate(up[5m]" in res.stderr + res.stdout


class VictoriaMetrics:
    def __init__(self, workdir: Path, name: str, *flags: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = Proc(name, [VM, f"-httpListenAddr=127.0.0.1:{self.port}", f"-storageDataPath={workdir / name}",
                                "-retentionPeriod=1d", "-search.latencyOffset=0s", "-loggerLevel=WARN", *flags],
                         workdir / f"{name}.log")
        wait_until(lambda: http_get(self.url + "/health", timeout=2)[0] == 200, 30, what=f"{name} ready")


def test_pair_into_victoriametrics_deduplicated_and_vmalert_evaluates_the_rules(tmp_path, request):
    relabel = tmp_path / "relabel.yml"
    relabel.write_text(yaml.safe_dump([{"action": "labeldrop", "regex": "replica"}]))
    sim = SimulatorProcess(tmp_path, ["--seed", "7"]).wait_ready()
    procs, started = [], []
    recorder = WebhookRecorder()
    try:
        sim.inject("heap-pressure")
        cfg = tmp_path / "tburn.yml"
        cfg.write_text(yaml.safe_dump({"base_url": sim.url, "auth": {"cookie": "connect.sid=lookout-demo-session"}}))
        exporter = ExporterProcess("tburn", cfg, tmp_path).wait_ready()
        started.append(exporter)
        # As docs/deploying.md says: replica dropped, one sample per scrape interval (1 s here).
        vm = VictoriaMetrics(tmp_path, "vm", f"-relabelConfig={relabel}", "-dedup.minScrapeInterval=1s")
        # The same writes, kept as sent: what de-duplication saves.
        raw = VictoriaMetrics(tmp_path, "vm-raw")
        procs += [vm.proc, raw.proc]
        pair = LocalHA(tmp_path / "ha", {"tburn": [f"127.0.0.1:{exporter.port}"], "nectar": [f"127.0.0.1:{free_port()}"]},
                       RULE_FILES, recorder.url(""), recorder.url("/heartbeat"), FAST, alertmanagers=1,
                       cluster="lookout-test",
                       remote_write=[remote_write.block(vm.url + "/api/v1/write", name="vm"),
                                     remote_write.block(raw.url + "/api/v1/write", name="vm-raw")])
        pair.start()
        started.append(pair)

        # --- de-duplication -------------------------------------------------------------
        wait_until(lambda: len(query(raw.url, 'up{job="prometheus"}', time.time())) == 4, 90, 0.5,
                   what="both replicas' peer scrapes in the raw store")
        time.sleep(25)
        at = time.time() - 2
        raw_up = query(raw.url, 'up{job="prometheus"}', at)
        dedup_up = query(vm.url, 'up{job="prometheus"}', at)
        assert {r["metric"]["replica"] for r in raw_up} == {"a", "b"} and len(raw_up) == 4
        assert len(dedup_up) == 2 and all("replica" not in r["metric"] for r in dedup_up)
        assert {r["metric"]["cluster"] for r in dedup_up} == {"lookout-test"}
        # Samples in the last 20 s of one target's `up`: one per second kept, not one per replica.
        target = dedup_up[0]["metric"]["instance"]
        kept = float(query(vm.url, f'count_over_time(up{{job="prometheus",instance="{target}"}}[20s])', at)[0]["value"][1])
        sent = sum(float(r["value"][1]) for r in
                   query(raw.url, f'count_over_time(up{{job="prometheus",instance="{target}"}}[20s])', at))
        assert 17 <= kept <= 21 and sent >= 1.8 * kept, (kept, sent)

        # --- vmalert on the de-duplicated store ---------------------------------------------
        va_port = free_port()
        vmalert = Proc("vmalert", [VMALERT, f"-httpListenAddr=127.0.0.1:{va_port}", f"-datasource.url={vm.url}",
                                   # Recording rules' results go back into the store (vmalert requires it).
                                   f"-remoteWrite.url={vm.url}",
                                   f"-notifier.url={pair.am_urls[0]}", "-evaluationInterval=1s", "-loggerLevel=WARN",
                                   *(f"-rule={f}" for f in [*RULE_FILES, META])], tmp_path / "vmalert.log")
        procs.append(vmalert)
        va = f"http://127.0.0.1:{va_port}"
        wait_until(lambda: http_get(va + "/health", timeout=2)[0] == 200, 30, what="vmalert ready")
        time.sleep(8)
        groups = json.loads(http_get(va + "/api/v1/rules", timeout=10)[2])["data"]["groups"]
        rules = [r for g in groups for r in g["rules"]]

        # --- every rule: accepted, evaluated without error, same answer as Prometheus -------------
        verdict, errors, differs = [], [], []
        at = time.time() - 3
        for f in [*RULE_FILES, META]:
            for group in yaml.safe_load(f.read_text())["groups"]:
                for rule in group["rules"]:
                    name = rule.get("alert") or rule.get("record")
                    severity = rule.get("labels", {}).get("severity", "")
                    mine = next((r for r in rules if r["name"] == name and r["query"] == rule["expr"]), None)
                    error = (mine or {}).get("lastError", "not loaded")
                    prom_result = query(pair.prom_urls["a"], rule["expr"], at)
                    vm_result = query(vm.url, rule["expr"], at)
                    prom, victoria = series(prom_result), series(vm_result)
                    entry = {"file": f.name, "rule": name, "severity": severity, "loaded": mine is not None,
                             "eval_error": error, "prometheus_series": len(prom), "victoriametrics_series": len(victoria),
                             "same": prom == victoria, "max_relative_value_difference": value_difference(prom_result, vm_result)}
                    verdict.append(entry)
                    if error:
                        errors.append(entry)
                    if prom != victoria:
                        differs.append({**entry, "only_prometheus": sorted(prom - victoria)[:3],
                                        "only_victoriametrics": sorted(victoria - prom)[:3]})
        out = Path(request.config._tmp_path_factory.getbasetemp()) / "vmalert-verdict.json"
        out.write_text(json.dumps({"rules": verdict, "differs": differs}, indent=1))
        print(f"\nvmalert verdict ({len(verdict)} rules, written to {out}):")
        for v in verdict:
            print(f"  {v['file']:>12} {v['rule']:<40} {v['severity']:<8} loaded={v['loaded']} "
                  f"error={v['eval_error'] or '-'} prom={v['prometheus_series']} vm={v['victoriametrics_series']} "
                  f"{'same' if v['same'] else 'DIFFERS'} values±{v['max_relative_value_difference']}")
        assert all(v["loaded"] for v in verdict), [v["rule"] for v in verdict if not v["loaded"]]
        assert errors == [], errors
        # Something real was compared: TBURN's heap alert and the down Nectar target fire on both.
        firing = {v["rule"] for v in verdict if v["prometheus_series"] and v["same"]}
        assert {"TburnHeapHigh", "ExporterDown", "Watchdog"} <= firing, firing
        assert differs == [], json.dumps(differs, indent=1)
        # vmalert's alerts reach the pair's Alertmanager as Prometheus's do.
        status, _, body = http_get(va + "/api/v1/alerts", timeout=10)
        assert "TburnHeapHigh" in body
    finally:
        for p in reversed(procs):
            p.stop()
        for s in reversed(started):
            s.stop()
        sim.stop()
        recorder.stop()
