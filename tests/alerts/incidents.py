"""Each scenario's incident at production timing, as promtool test groups: series shaped like
the real fault at 15 s scrapes over hours (a crash loop with Docker's back-off, a TiDB outage
with reconnect runs and give-ups, a stall mended by a restart, a leak PM2 restarts every 8
minutes, one lost flush ...), and what Prometheus must show of it: each promised alert
(each system's scenarios.py: `pages` at critical, chat-only ones at warning only) firing with
its labels during the fault, and not firing from the end of the fault plus its windows to the
end of the replay (the quiet after); and the alerts of the incident Prometheus must never
have firing: the effects its cause explains, during the fault and after it is mended
(hold-downs), and CollectorDown through a crash loop. The promised alerts' own boundaries and
`for`s are each system's rule_cases.yml and the generated cases; which alerts reach a receiver is
Alertmanager's part (test_alertmanager.py). Run by test_incidents.py."""
from __future__ import annotations

from pathlib import Path

import yaml

from lookout.alert_rules.catalog import build
from .rulecases import LEVELS, expected_alert

STEP = 15  # seconds: production scrape and evaluation interval
SIGNALS = build()  # the operator's signals: what the committed rules were generated from


def values(samples: list[float]) -> str:
    return " ".join(f"{v:g}" for v in samples)


def checks(alerts: dict[str, dict[int, list[dict]]], times: range) -> list[dict]:
    """Every alert at every minute of `times`: the expected firing ones, none otherwise."""
    out = []
    for minute in times:
        for alert, at in alerts.items():
            out.append({"eval_time": f"{minute}m", "alertname": alert,
                        **({"exp_alerts": at[minute]} if at.get(minute) else {})})
    return out


def labels_of(selector: str) -> dict[str, str]:
    """'a="1",b="2"' -> {"a": "1", "b": "2"}: an alert's labels from its series' selector."""
    return dict((k, v.strip('"')) for k, v in (part.split("=", 1) for part in selector.split(",")))


def _signal(alert: str):
    found = [s for s in SIGNALS if s.alert == alert]
    if len(found) != 1:
        raise ValueError(f"{alert}: {len(found)} signals, a replay expects one")
    return found[0]


def _past(sig, level: str, value: float) -> bool:
    bound = getattr(sig, level)
    if bound is None:
        return False
    if sig.direction == "above":
        return value >= bound if sig.inclusive else value > bound
    return value <= bound if sig.inclusive else value < bound


def fires(alert: str, at_s: int, value: float, labels: str) -> dict:
    """`alert` firing at `at_s` (seconds) with `value`: every level `value` is past, with the
    labels of `labels` (a selector's inside) and the rule's, and the rendered annotations. Call
    it where each `for` has run out."""
    sig = _signal(alert)
    levels = [lvl for lvl in LEVELS if _past(sig, lvl, value)]
    return {"eval_time": f"{at_s}s", "alertname": alert,
            "exp_alerts": [expected_alert(sig, lvl, value, labels_of(labels)) for lvl in levels]}


def quiet(alert: str, from_s: int, to_s: int) -> list[dict]:
    """`alert` not firing at any level at every minute in [from_s, to_s)."""
    return [{"eval_time": f"{t}s", "alertname": alert} for t in range(from_s, to_s, 60)]


def lost_once(counter: str, up: str, labels: str, alert: str, what: str) -> dict:
    """One loss at minute 30 (`counter` + 1) while `up` holds at 1: `alert` pages for the 15
    minutes the loss stays in its window, then is quiet."""
    n = 2 * 3600 // STEP
    lost = [1 if i * STEP >= 1800 else 0 for i in range(n)]
    return {"name": f"{what} at production timing: {alert} for 15 minutes", "interval": f"{STEP}s",
            "input_series": [{"series": f"{counter}{{{labels}}}", "values": values(lost)},
                             {"series": up, "values": values([1] * n)}],
            "alert_rule_test": [quiet(alert, 29 * 60, 30 * 60)[0], fires(alert, 30 * 60, 1, labels),
                                fires(alert, 44 * 60, 1, labels), *quiet(alert, 45 * 60, n * STEP)]}


def replays() -> dict:
    """{scenario: a function returning its promtool test groups}: every system's REPLAYS, from
    its folder's tests/incidents.py (systems without demo scenarios have none)."""
    from tests.systems import merged
    return merged("incidents", "REPLAYS", required=False)


def write(name: str, rule_files: list[str], out: Path) -> Path:
    """The promtool test file of replay `name`, against `rule_files`."""
    doc = {"rule_files": rule_files, "evaluation_interval": f"{STEP}s", "tests": replays()[name]()}
    out.write_text(yaml.safe_dump(doc, sort_keys=False, width=200))
    return out
