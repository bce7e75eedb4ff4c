"""Signals to Prometheus rule groups: one group per system, recording rules first so the
alerts of the same evaluation see fresh values."""
from __future__ import annotations

from string import Template

import promql_parser

from lookout import promql

from .model import SCOPE, Signal
from .signals import MODULES
from .units import human, promql_number, value_template

LEVELS = ("warning", "critical")
OPERATORS = {("above", False): ">", ("above", True): ">=", ("below", False): "<", ("below", True): "<="}


def group(system: str, signals: list[Signal]) -> dict:
    module = MODULES[system]
    by_key = {s.key: s for s in signals}
    mine = [s for s in signals if s.system == system]
    alerts: dict[tuple[str, str], dict] = {}
    held = holds(signals)
    for sig in mine:
        for level in LEVELS:
            if getattr(sig, level) is not None:
                rule = alert_rule(sig, level, module)
                for clause in held.get(sig.alert, ()):
                    rule["expr"] = f"{parenthesize(rule['expr'])}\n{clause}"
                _add(alerts, rule)
    return {"name": system, "rules": [*module.recording_rules(by_key.__getitem__), *alerts.values()]}


def holds(signals: list[Signal]) -> dict[str, list[str]]:
    """Effect alert -> its hold-down clauses: `unless` a cause that explains it fired within
    the effect's hold (lookout/alert_rules/model.py Effect.hold).

    Prometheus' own ALERTS series says when the cause fired; `max_over_time` over the hold
    keeps that true for the hold after it last fired, so the effect ends while the cause is
    mended instead of paging then. Matched on instance, job and the labels the cause and
    effect share (the inhibition's `equal`); a target matcher `label="value"` is carried onto
    the cause's side with label_replace. Raises ValueError for a hold on a regex matcher."""
    member_of: dict[str, tuple[str, ...]] = {}
    for s in signals:
        member_of.setdefault(s.alert, s.members)
    out: dict[str, list[str]] = {}
    for s in signals:
        for e in s.explains:
            if not e.hold:
                continue
            same = list(member_of[s.alert] if e.same is None else e.same)
            cause = f'max_over_time(ALERTS{{alertname="{s.alert}", alertstate="firing"}}[{e.hold}])'
            for m in e.matchers:
                label, eq, value = m.partition("=")
                if not eq or value.startswith("~") or label.endswith("!"):
                    raise ValueError(f"{s.alert} holds {e.alert} where {m}: only label=\"value\" can be held")
                cause = f'label_replace({cause}, "{label}", {value}, "", "")'
                same.append(label)
            clause = f"unless on({', '.join([*SCOPE, *same])}) {cause}"
            if clause not in out.setdefault(e.alert, []):
                out[e.alert].append(clause)
    return out


def _add(alerts: dict, rule: dict) -> None:
    """Two rules with one name and severity (two sides of a range) become one `or`."""
    key = (rule["alert"], rule["labels"]["severity"])
    first = alerts.get(key)
    if first is None:
        alerts[key] = rule
        return
    for part in ("for", "labels", "annotations"):
        if first.get(part) != rule.get(part):
            raise ValueError(f"{key[0]} ({key[1]}) is defined twice with different {part}")
    first["expr"] = f"{parenthesize(first['expr'])}\nor {parenthesize(rule['expr'])}"


def alert_rule(sig: Signal, severity: str, module) -> dict:
    boundary = getattr(sig, severity)
    params = _substitutions(sig)
    rule = {"alert": sig.alert, "expr": condition(sig, severity, module)}
    duration = getattr(sig, f"for_{severity}")
    if duration:
        rule["for"] = duration
    rule["labels"] = {"severity": severity, "system": sig.system, **({"role": sig.role} if sig.role else {}),
                      **sig.labels}
    if sig.remedy and sig.remedy_severity in ("", severity):
        rule["labels"]["remedy"] = sig.remedy
    description = (Template(sig.description).safe_substitute(params)
                   .replace("{value}", value_template(sig.unit))
                   .replace("{threshold}", human(boundary, sig.unit)))
    rule["annotations"] = {
        "summary": Template(sig.summary).safe_substitute(params),
        "description": description,
        "runbook_url": sig.runbook_url,
    }
    return rule


def condition(sig: Signal, severity: str, module) -> str:
    boundary = promql_number(getattr(sig, severity))
    cond = module.conditions(sig, severity, boundary)
    if cond is None:
        cond = f"{parenthesize(sig.expr)} {OPERATORS[sig.direction, sig.inclusive]} {boundary}"
        if severity == "warning" and sig.warning_bounded and sig.critical is not None:
            # Up to the critical boundary, not past it: the negation of the critical test.
            cond += f" {OPERATORS[_opposite(sig.direction), not sig.inclusive]} {promql_number(sig.critical)}"
    if sig.when:
        guard = Template(sig.when).substitute(_substitutions(sig))
        cond = f"{parenthesize(cond)}\nand {guard}"
    return cond


def _opposite(direction: str) -> str:
    return "below" if direction == "above" else "above"


def _substitutions(sig: Signal) -> dict[str, str]:
    return {k: promql_number(v) for k, v in sig.params.items() if isinstance(v, (int, float))}


def parenthesize(expr: str) -> str:
    """`expr` as an operand: wrapped when its top level is a binary or unary operation
    (parsed by promql-parser, lookout/promql.py; ValueError when it is not PromQL)."""
    return f"({expr})" if isinstance(promql.parse(expr), (promql_parser.BinaryExpr, promql_parser.UnaryExpr)) else expr
