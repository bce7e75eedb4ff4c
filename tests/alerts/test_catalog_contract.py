"""The alert catalog (shared/alert-catalog.md) as a literal table, against the defaults.

Written out by hand from the catalog, not derived from the code: a default that drifts
from the contract fails here even though the generated promtool cases would follow it.
"""
from __future__ import annotations

import pytest

from lookout.alert_rules import catalog
from lookout.alert_rules.model import Signal

from tests.systems import merged, union

# Each system's rows live in its folder (lookout/systems/<key>/tests/contract.py, tests/systems.py);
# here only the rows about Lookout's own exporters (the catalog's "The exporters themselves").
# key: (alert, system, operator, warning, critical, for warning, for critical)
CONTRACT = {
    **merged("contract", "CONTRACT"),
    "exporter_up": ("ExporterDown", "exporter", "<", None, 1, "", "2m"),
    "exporter_collector_success": ("ExporterCollectorFailing", "exporter", "<", 1, None, "5m", ""),
    "exporter_fields_missing": ("ExporterFieldsMissing", "exporter", ">", 0, None, "10m", ""),
}
# Warning bands the catalog bounds above by the critical level.
BOUNDED = union("contract", "BOUNDED")

# The catalog's routing notes, as cause -> effects on the same member (a subset: the model
# may explain more, but never less than these).
EXPLAINS = merged("contract", "EXPLAINS")
# Member labels that name what an alert is about (process name, container, table, path...).
MEMBERS = {**merged("contract", "MEMBERS"),
           "ExporterCollectorFailing": ("exporter", "collector"),
           "ExporterFieldsMissing": ("exporter", "collector", "field")}

# The catalog's "down" alerts.
DOWN = {*union("contract", "DOWN"), "ExporterDown"}
OPERATOR = {("above", False): ">", ("above", True): ">=", ("below", False): "<", ("below", True): "<="}


def _row(s: Signal) -> tuple:
    return (s.alert, s.system, OPERATOR[s.direction, s.inclusive], s.warning, s.critical,
            s.for_warning, s.for_critical)


def test_defaults_match_the_catalog(default_signals):
    assert {s.key: _row(s) for s in default_signals} == CONTRACT


def test_down_and_symptom_roles(default_signals):
    assert {s.alert for s in default_signals if s.role == "down"} == DOWN
    # The catalog's examples of symptoms (stalled, stale, rate low): each system's SYMPTOMS.
    symptoms = {s.alert for s in default_signals if s.role == "symptom"}
    assert union("contract", "SYMPTOMS") <= symptoms
    assert not symptoms & DOWN


def test_bounded_warning_bands(default_signals):
    assert {s.key for s in default_signals if s.warning_bounded} == BOUNDED


def test_the_causal_model_holds_the_catalogs_explanations(default_signals):
    explained: dict[str, set] = {}
    for s in default_signals:
        explained.setdefault(s.alert, set()).update(e.alert for e in s.explains)
    for cause, effects in EXPLAINS.items():
        assert effects <= explained[cause], (cause, effects - explained[cause])
    members = {s.alert: s.members for s in default_signals}
    assert {a: members[a] for a in MEMBERS} == MEMBERS


def test_no_rule_keeps_a_volatile_identity():
    """pm_id changes on delete + start, a container id on re-create, a pid on every restart
    (how a system's alerts drop them from their series is its own test)."""
    from lookout.alert_rules.settings import OUTPUT_DIR
    import yaml
    for path in sorted(OUTPUT_DIR.glob("*.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                text = str(rule.get("annotations", "")) + str(rule.get("labels", ""))
                assert "pm_id" not in text and "pid" not in text and "container_id" not in text, rule


def test_every_alert_has_a_summary_description_and_runbook(default_signals):
    for s in default_signals:
        assert s.summary and s.description and s.runbook, s.key


def test_the_dashboards_interface():
    """What dashboards/ reads: build(), signal(key, signals), and these fields and steps()."""
    signals = catalog.build(None)
    assert signals and all(isinstance(s, Signal) for s in signals)
    # A signal bad above both levels and one bad below both, from the catalog's rows.
    above = next(k for k, row in CONTRACT.items() if row[2] in (">", ">=") and None not in row[3:5])
    below = next(k for k, row in CONTRACT.items() if row[2] in ("<", "<=") and None not in row[3:5])
    high = catalog.signal(above, signals)
    for name in ("key", "system", "alert", "expr", "unit", "direction", "warning", "critical"):
        assert getattr(high, name) is not None
    warning, critical = CONTRACT[above][3:5]
    assert high.steps() == [(None, "green"), (warning, "yellow"), (critical, "red")]
    warning, critical = CONTRACT[below][3:5]
    assert catalog.signal(below, signals).steps() == [(None, "red"), (critical, "yellow"), (warning, "green")]
    with pytest.raises(KeyError, match="no_such_signal"):
        catalog.signal("no_such_signal", signals)


def test_demo_scenarios_say_truly_where_each_notification_goes(default_signals):
    """`lookout demo scenarios` and docs/demo.md: a page is a critical alert, chat a warning;
    the scenario's own alert is one of them, and nothing listed is explained by another listed
    alert of the same scenario (it would be inhibited, not sent)."""
    from lookout.demo.scenarios import SCENARIOS
    levels = {}
    explains = {}
    for s in default_signals:
        levels.setdefault(s.alert, set()).update(lvl for lvl in ("warning", "critical") if getattr(s, lvl) is not None)
        explains.setdefault(s.alert, set()).update(e.alert for e in s.explains)
    for sc in SCENARIOS.values():
        assert all("critical" in levels[a] for a in sc.pages), sc.name
        assert all("warning" in levels[a] for a in sc.chat), sc.name
        assert sc.alert in sc.pages + sc.chat, sc.name
        listed = set(sc.pages + sc.chat)
        assert not any(explains[a] & listed for a in listed), sc.name
