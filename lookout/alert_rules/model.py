"""A signal: one measured quantity with its green/yellow/red boundaries, and its place in
the causal model (what it is about, what it explains).

Defined once; the alert rule generator, the Alertmanager inhibitions and the dashboard
generator all read it, so an alert, its routing and the colour of the tile showing the
same quantity cannot drift apart.

This interface is shared with lookout/dashboards/: extend it, do not rename these fields.
The fields a dashboard needs to colour a tile exactly where the alert fires:
  direction  "above" | "below": which side of a boundary is bad.
  inclusive  False: the boundary value itself is still good (`>`, `<`); True: bad (`>=`, `<=`).
  warning_bounded  True: the warning fires only between its boundary and the critical one
             (the catalog's "< 150 (and >= 50)"); colours are the same either way.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Direction = Literal["above", "below"]

# Every alert is about one instance of one job; `members` name what inside it.
SCOPE = ("instance", "job")


@dataclass(frozen=True)
class Effect:
    """An alert this signal's alert explains, optionally narrowed by Alertmanager matchers
    on the target (e.g. only the collectors that query the database that is down)."""
    alert: str
    matchers: tuple[str, ...] = ()
    # Labels compared beyond instance and job; None: the cause's members. () where the
    # matchers already name the member (the sync server's own `health` collector).
    same: tuple[str, ...] | None = None
    # The hold-down: how long after the cause last fired the effect stays explained (a
    # Prometheus duration; "" for none). For an effect whose own window outlives the cause
    # (reconnects counted over 15m, a rate over 5m, a mode that lingers 30s): the rule
    # generator adds `unless` the cause fired within it, so the effect resolves unseen instead
    # of paging once the cause is mended. Equal to (or longer than) the effect's window, so
    # the hold means the same at every time scale (the fast demo divides both alike).
    hold: str = ""


@dataclass(frozen=True)
class Signal:
    key: str                 # stable id, used by the operator's threshold overrides
    system: str              # a registry key (lookout/systems/), or SELF_SYSTEM for the exporters'
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
    runbook_url: str = ""    # set by catalog.build: the configured base + "#" + runbook
    # "down": the system or member is not there; "symptom": something a cause can explain.
    # Informational (an alert label, for queries); the inhibitions come from `explains`.
    role: str = ""
    when: str = ""           # guard ANDed to the condition, e.g. 'on(instance, job) lag > ${min_lag}'
    params: dict = field(default_factory=dict, hash=False)  # operator-overridable numbers used in `when`
    warning_bounded: bool = False
    # The causal model. `members`: the labels, beyond instance and job, that name what the
    # alert is about (a PM2 process `name`, a `container`, a `table`, a `breaker`...).
    # `explains`: alerts that follow from this one on the same member; Alertmanager mutes
    # them while this one fires. A target must carry every member label of its cause.
    members: tuple[str, ...] = ()
    explains: tuple[Effect, ...] = ()
    # Static labels the rule adds: values may name `${key}` of the generator's config
    # (thresholds.yml `_config`), e.g. the PM2 process name of the sync server.
    labels: dict = field(default_factory=dict, hash=False)
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


def effects(*alerts: str, where: tuple[str, ...] = (), same: tuple[str, ...] | None = None,
            hold: str = "") -> tuple[Effect, ...]:
    return tuple(Effect(a, where, same, hold) for a in alerts)


@dataclass(frozen=True)
class EmailCondition:
    """One line of a runbook's "e-mail me when" list, in a system's signals module as
    `EMAIL_CONDITIONS` (lookout/alert_rules/email.py mails them)."""
    runbook: str                  # the runbook's words
    alert: str
    severities: tuple[str, ...]   # those at or past the runbook's threshold
