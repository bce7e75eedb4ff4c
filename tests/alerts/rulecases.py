"""promtool rule tests: generated from the signals where a value maps straight onto input
series (each system's FIXTURES, lookout/systems/<key>/tests/rulecases.py), compiled from
hand-written cases (its rule_cases.yml; cases/ for the exporters' own) where the rule has windows.

A generated case walks one signal green -> yellow -> red -> green with values one step
either side of each boundary, checks each `for` one evaluation before and at its end, and
expects the labels and rendered annotations of every firing alert. Burst cases (counts in a
window) run one instance per level and check the count leaving the window resolves it.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Callable

import yaml

from lookout.alert_rules.model import Signal
from lookout.alert_rules.rules import alert_rule
from lookout.alert_rules.signals import MODULES
from lookout.systems import SELF_SYSTEM
from lookout.systems import SYSTEMS as REGISTRY
from tests.systems import merged
from .gotemplate import render

LEVELS = ("warning", "critical")
# Each system's exporter at its registry port; the exporters' own alerts on the first one's.
INSTANCE = {s.key: f"{s.key}-exporter:{s.port}" for s in REGISTRY}
INSTANCE[SELF_SYSTEM] = INSTANCE[REGISTRY[0].key]


@dataclass
class Fixture:
    """How to make a signal read `v`: raw sample values by series, and the alert's labels."""
    series: Callable[[float], dict[str, float]]
    labels: dict[str, str]
    step: float = 1           # "just past a boundary" is this far past it
    burst_minutes: int = 0    # >0: a count over this window, tested with bursts ...
    counter: str = ""         # ... of this counter series, `{instance}` left to fill in


def selector(metric: str, labels: dict[str, str]) -> str:
    return metric + "{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"


def base(system: str, labels: dict) -> dict:
    """The labels of `system`'s series: its exporter's instance and job (the exporters' own
    alerts are about the first one's), and `labels`."""
    job = REGISTRY[0].key if system == SELF_SYSTEM else system
    return {"instance": INSTANCE[system], "job": job, **labels}


def gauge(system: str, metric: str, step: float = 1, volatile: dict | None = None, **labels) -> Fixture:
    """`volatile`: labels the series has and the alert must not keep (pm_id)."""
    full = base(system, labels)
    series = {**full, **(volatile or {})}
    return Fixture(lambda v: {selector(metric, series): v}, full, step)


def ratio(system: str, numerator: str, denominator: str, step: float = 0.01, volatile: dict | None = None,
          **labels) -> Fixture:
    full = base(system, labels)
    series = {**full, **(volatile or {})}
    whole = 2**31  # a power of two: v * whole / whole is exactly v, boundaries stay exact
    return Fixture(lambda v: {selector(numerator, series): v * whole, selector(denominator, series): whole},
                   full, step)


def stateset(system: str, metric: str, states: tuple, state_of: Callable[[float], str], **labels) -> Fixture:
    full = base(system, labels)
    return Fixture(lambda v: {selector(metric, {**full, metric: s}): float(s == state_of(v)) for s in states},
                   full)


def burst(system: str, counter: str, minutes: int, event: str = "", volatile: dict | None = None,
          **labels) -> Fixture:
    full = base(system, labels)
    series = selector(counter, {**full, **(volatile or {}), **({"event": event} if event else {}),
                                 "instance": "{instance}"})
    return Fixture(lambda v: {}, full, 1, minutes, series)


@cache
def fixtures() -> dict[str, Fixture]:
    """Every signal's fixture: each system's FIXTURES (lookout/systems/<key>/tests/rulecases.py,
    where it has one; tests/systems.py) and those of the exporters' own signals."""
    return {**merged("rulecases", "FIXTURES", required=False),
            "exporter_up": gauge(SELF_SYSTEM, "up"),
            "exporter_collector_success": gauge(SELF_SYSTEM, "lookout_collector_success", exporter=REGISTRY[0].key,
                                                collector="chain")}


def _past(sig: Signal, boundary: float, step: float) -> float:
    """The first value on the bad side of `boundary`."""
    if sig.inclusive:
        return boundary
    return boundary + step if sig.direction == "above" else boundary - step


def _before(sig: Signal, boundary: float, step: float) -> float:
    """The last value on the good side of `boundary`."""
    if not sig.inclusive:
        return boundary
    return boundary - step if sig.direction == "above" else boundary + step


def expected_alert(sig: Signal, severity: str, value: float, labels: dict) -> dict:
    rule = alert_rule(sig, severity, MODULES[sig.system])
    all_labels = {**labels, **rule["labels"]}
    return {"exp_labels": all_labels,
            "exp_annotations": {k: render(v, value, all_labels) for k, v in rule["annotations"].items()}}


def _minutes(duration: str) -> int:
    if not duration:
        return 0
    units = {"m": 1, "h": 60}
    if duration[-1] not in units or not duration[:-1].isdigit():
        raise ValueError(f"generated cases handle whole minutes or hours, not {duration!r}")
    return int(duration[:-1]) * units[duration[-1]]


def gauge_group(sig: Signal, fx: Fixture) -> dict:
    """One timeline: green, yellow (warning), yellow at the critical boundary, red, green."""
    levels = [lvl for lvl in LEVELS if getattr(sig, lvl) is not None]
    first = getattr(sig, levels[0])
    green = _before(sig, first, fx.step)
    phases: list[tuple[str, float, int]] = [("green", green, 5)]
    fw, fc = _minutes(sig.for_warning), _minutes(sig.for_critical)
    if sig.warning is not None:
        phases.append(("yellow", _past(sig, sig.warning, fx.step), fw + 3))
    if sig.warning is not None and sig.critical is not None:
        phases.append(("yellow at critical", _before(sig, sig.critical, fx.step), 3))
    if sig.critical is not None:
        phases.append(("red", _past(sig, sig.critical, fx.step), fc + 3))
    phases.append(("green again", green, 4))

    starts, t = {}, 0
    samples: list[float] = []
    for name, value, minutes in phases:
        starts[name] = (t, value)
        samples += [value] * minutes
        t += minutes

    def alerts(at: int, *severities: str) -> dict:
        value = samples[at]
        return {"eval_time": f"{at}m", "alertname": sig.alert,
                "exp_alerts": [expected_alert(sig, s, value, fx.labels) for s in severities]}

    checks = [alerts(starts["green"][0] + 4)]
    if sig.warning is not None:
        s = starts["yellow"][0]
        if fw:
            checks.append(alerts(s + fw - 1))
        checks.append(alerts(s + fw, "warning"))
    if "yellow at critical" in starts:
        checks.append(alerts(starts["yellow at critical"][0] + 2, "warning"))
    if sig.critical is not None:
        s = starts["red"][0]
        # A bounded warning band ends where critical begins; an open one is held.
        held = ("warning",) if sig.warning is not None and not sig.warning_bounded else ()
        if fc:
            checks.append(alerts(s + fc - 1, *held))
        checks.append(alerts(s + fc, *held, "critical"))
    s = starts["green again"][0]
    checks += [alerts(s), alerts(s + 3)]

    series = _series_over_time(fx, samples)
    return {"name": f"{sig.alert} ({sig.key}): " + ", ".join(f"{n} {v:g} at {s}m" for n, (s, v) in starts.items()),
            "interval": "1m", "input_series": series, "alert_rule_test": checks}


def burst_group(sig: Signal, fx: Fixture) -> dict:
    """One instance per level: a burst of N events at minute 10, checked one evaluation
    before and at the end of each `for`, at 15, and after it has left the window."""
    fors = {lvl: _minutes(getattr(sig, f"for_{lvl}")) for lvl in LEVELS}
    if max(fors.values()) >= fx.burst_minutes:
        raise ValueError(f"{sig.key}: its `for` outlasts the burst's window; write an explicit case")
    counts = {"green": _before(sig, getattr(sig, "warning" if sig.warning is not None else "critical"), 1)}
    if sig.warning is not None:
        counts["yellow"] = _past(sig, sig.warning, 1)
    if sig.warning is not None and sig.critical is not None:
        counts["yellow-at-critical"] = _before(sig, sig.critical, 1)
    if sig.critical is not None:
        counts["red"] = _past(sig, sig.critical, 1)
    end = 10 + fx.burst_minutes + 6
    series, firing = [], []
    for level, n in counts.items():
        labels = {**fx.labels, "instance": f"{level}:9100"}
        series.append({"series": fx.counter.replace("{instance}", labels["instance"]),
                       "values": f"0+0x9 {n:g}+0x{end - 10}"})
        severities = [lvl for lvl in LEVELS if getattr(sig, lvl) is not None and _bad(sig, n, getattr(sig, lvl))]
        firing += [(expected_alert(sig, s, n, labels), s) for s in severities]

    def at(minute: int) -> dict:
        return {"eval_time": f"{minute}m", "alertname": sig.alert,
                "exp_alerts": [a for a, s in firing if minute >= 10 + fors[s]]}

    minutes = sorted({10 + f - 1 for f in fors.values() if f} | {10 + f for f in fors.values()}
                     | {max(15, 10 + max(fors.values()))})
    checks = [at(m) for m in minutes]
    checks.append({"eval_time": f"{10 + fx.burst_minutes + 5}m", "alertname": sig.alert, "exp_alerts": []})
    return {"name": f"{sig.alert} ({sig.key}): bursts " + ", ".join(f"{k}={v:g}" for k, v in counts.items()),
            "interval": "1m", "input_series": series, "alert_rule_test": checks}


def _bad(sig: Signal, v: float, boundary: float) -> bool:
    if sig.direction == "above":
        return v >= boundary if sig.inclusive else v > boundary
    return v <= boundary if sig.inclusive else v < boundary


def _series_over_time(fx: Fixture, samples: list[float]) -> list[dict]:
    by_series: dict[str, list[float]] = {}
    for v in samples:
        for selector, raw in fx.series(v).items():
            by_series.setdefault(selector, []).append(raw)
    return [{"series": s, "values": " ".join(repr(float(x)) for x in values)} for s, values in by_series.items()]


def generated_groups(signals: list[Signal]) -> list[dict]:
    groups = []
    for sig in signals:
        fx = fixtures().get(sig.key)
        if fx is not None:
            groups.append(burst_group(sig, fx) if fx.burst_minutes else gauge_group(sig, fx))
    return groups


def compile_explicit(cases: list[dict], signals: dict[str, Signal]) -> list[dict]:
    """Hand-written groups; an expected alert names its `signal` and `value`, and gets the
    signal's system/role labels and rendered annotations added."""
    out = []
    for group in cases:
        group = dict(group)
        tests = []
        for test in group.get("alert_rule_test", []):
            test = dict(test)
            alerts = []
            for exp in test.get("exp_alerts", []):
                sig = signals[exp["signal"]]
                labels = dict(exp["exp_labels"])
                severity = labels.pop("severity")
                alerts.append(expected_alert(sig, severity, exp["value"], labels))
            test["exp_alerts"] = alerts
            tests.append(test)
        group["alert_rule_test"] = tests
        out.append(group)
    return out


def write_test_file(path, rule_files: list, groups: list[dict]) -> None:
    doc = {"rule_files": [str(p) for p in rule_files], "evaluation_interval": "1m", "tests": groups}
    path.write_text(yaml.safe_dump(doc, sort_keys=False, width=200))
