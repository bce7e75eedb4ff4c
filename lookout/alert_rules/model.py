"""A signal: one measured quantity with its green/yellow/red boundaries.

Defined once; the alert rule generator and the dashboard generator both read it, so an
alert and the colour of the tile showing the same quantity cannot drift apart.

This interface is shared with dashboards/: extend it, do not rename these fields.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Direction = Literal["above", "below"]


@dataclass(frozen=True)
class Signal:
    key: str                 # stable id, used by the operator's threshold overrides
    system: str              # nectar | ticks | pm2 | tburn | exporter
    alert: str               # CamelCase alert name from the catalog
    expr: str                # PromQL giving the measured value (may use recording rules)
    unit: str                # Grafana unit id: "s", "bytes", "percentunit", "short", ...
    direction: Direction     # "above": bad when the value is above a boundary; "below": when under it
    warning: float | None    # boundary between green and yellow (None: no warning level)
    critical: float | None   # boundary between yellow and red (None: no critical level)
    inclusive: bool = False  # True when the boundary itself is bad (>=, <=)
    for_warning: str = ""    # Prometheus duration, "" for none
    for_critical: str = ""
    summary: str = ""
    description: str = ""
    runbook: str = ""        # anchor in docs/runbooks.md
    extra: dict = field(default_factory=dict, compare=False, hash=False)
    # Added for the alert rule generator (alert_rules/rules.py):
    role: str = ""           # "down": the system is down; "symptom": silenced while a "down" alert fires
    when: str = ""           # guard ANDed to the condition, e.g. 'on(instance, job) lag > ${min_lag}'
    params: dict = field(default_factory=dict, hash=False)  # operator-overridable numbers used in `when`
    # Added for lookout-remediate (issue 15): the allow-listed action that answers this alert,
    # carried as the rule's `remedy` label (Alertmanager routes remedy=~".+" to the receiver);
    # only on `remedy_severity` when set, else on every severity the signal has.
    remedy: str = ""
    remedy_severity: str = ""

    def steps(self) -> list[tuple[float | None, str]]:
        """Grafana threshold steps, base first: [(None, green), (w, yellow), (c, red)] for 'above'."""
        if self.direction == "above":
            steps: list[tuple[float | None, str]] = [(None, "green")]
            steps += [(v, c) for v, c in ((self.warning, "yellow"), (self.critical, "red")) if v is not None]
            return steps
        # "below": red at the bottom, getting better as the value rises past each boundary.
        steps = [(None, "red" if self.critical is not None else "yellow")]
        if self.critical is not None:
            steps.append((self.critical, "yellow" if self.warning is not None else "green"))
        if self.warning is not None:
            steps.append((self.warning, "green"))
        return steps
