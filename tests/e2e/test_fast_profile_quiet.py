"""Issue 13, "the demo tells the truth": the fast profile raises no alert without a fault.

The native demo (shared session fixture, fast profile) runs untouched for QUIET_SECONDS; every
rule is evaluated each second, so Prometheus's own ALERTS series over that span says whether
anything fired, and the pager whether anything was sent. Before lookout/demo/profiles.py held
TburnMemoryGrowth longer than one GC cycle, the TBURN simulator's real-time GC sawtooth (about
70 s per cycle, lookout/systems/tburn/simulator/model.py) fired it about once every three minutes.
"""
from __future__ import annotations

import json
import time

from lookout.devstack.proc import http_get

QUIET_SECONDS = 200  # with the demo's start, within the 4 minutes the issue allows for it


def _active(demo) -> list[str]:
    status, _, body = http_get(demo.urls["control"] + "/api/status", timeout=10)
    assert status == 200
    return json.loads(body).get("active", [])


def test_the_fast_profile_raises_no_alert_without_a_fault(demo):
    assert _active(demo) == [], "a fault is active: this test needs the demo untouched"
    start = time.time()
    time.sleep(QUIET_SECONDS)
    assert _active(demo) == [], "a fault became active while the test watched"
    span = int(time.time() - start)
    fired = demo.query(f'max_over_time(ALERTS{{alertstate="firing"}}[{span}s])')
    pending = demo.query(f'max_over_time(ALERTS{{alertstate="pending"}}[{span}s])')
    # The GC sawtooth still crosses +5% now and then; report it, so a run shows what was held back.
    growth = demo.query(f"max_over_time(tburn:heap_used:growth1h[{span}s])")
    print(f"\nquiet {span}s: max heap growth {[g['value'][1] for g in growth]}, "
          f"pending {sorted({a['metric']['alertname'] for a in pending})}")
    assert [a["metric"] for a in fired] == []
    assert [e for e in demo.pages() if e["received"] >= start] == []


# --- the same, deterministic: the simulator's heap through the fast rules in promtool ---------

SIM_SECONDS = 1800  # half an hour: a dozen GC cycles at every load the simulator swings through


def _heap_series(seed: int) -> str:
    """The TBURN simulator's heap, fault-free, one sample a second (its model on a fake clock).
    Bytes as TBURN's memory guardian reports them: heap_used_mb (model.py) x MiB."""
    from lookout.simulators.common import FaultRegistry
    from lookout.systems.tburn.simulator.faults import FAULTS
    from lookout.systems.tburn.simulator.model import HEAP_LIMIT_MB, TburnModel
    clock = [0.0]
    model = TburnModel(FaultRegistry(FAULTS), seed=seed, clock=lambda: clock[0], wall=lambda: clock[0])
    values = []
    for t in range(SIM_SECONDS):
        clock[0] = float(t)
        model.advance()
        values.append(str(round(model.heap_ratio() * HEAP_LIMIT_MB) * 1024 * 1024))
    return " ".join(values)


def _fires_in_fast_profile(profile, tmp_path, seed: int) -> str:
    """promtool's complaint when TburnMemoryGrowth fires on the fault-free heap under `profile`'s
    rules (lookout.demo.rules.build_rules, what the fast demo loads), "" when it never does."""
    import subprocess

    import yaml

    from lookout.demo.rules import build_rules
    rules = [p for p in build_rules(profile, tmp_path / "rules") if p.name == "tburn.yml"]
    end = f"{SIM_SECONDS - 1}s"
    test = {"rule_files": [str(rules[0])], "evaluation_interval": "1s", "tests": [{
        "interval": "1s",
        "input_series": [{"series": 'tburn_heap_used_bytes{instance="tburn:9864", job="tburn"}',
                          "values": _heap_series(seed)}],
        "promql_expr_test": [{"expr": f'count_over_time(ALERTS{{alertname="TburnMemoryGrowth", '
                                       f'alertstate="firing"}}[{end}])',
                               "eval_time": end, "exp_samples": []}]}]}
    path = tmp_path / "quiet-test.yml"
    path.write_text(yaml.safe_dump(test, width=10**9))
    res = subprocess.run(["promtool", "test", "rules", str(path)], capture_output=True, text=True, timeout=300)
    return "" if res.returncode == 0 else res.stdout + res.stderr


def test_the_fast_rules_hold_tburn_memory_growth_through_the_gc_sawtooth(tmp_path):
    import dataclasses

    from lookout.demo.profiles import FAST
    for seed in (1, 2):
        assert _fires_in_fast_profile(FAST, tmp_path / f"fast-{seed}", seed) == ""
    # The premise: without the profile's hold, the same heap fires it (the bug the demo showed).
    unheld = dataclasses.replace(FAST, thresholds={k: v for k, v in FAST.thresholds.items() if k != "tburn_heap_growth"})
    assert 'got: {alertname="TburnMemoryGrowth", alertstate="firing"' in _fires_in_fast_profile(
        unheld, tmp_path / "unheld", 1)
