"""Docs that restate code are generated from it and checked for staleness."""
from __future__ import annotations

from lookout import docs
from lookout.systems import SYSTEMS


def test_readme_systems_table_is_generated_from_the_registry():
    current = docs.README.read_text()
    assert docs.readme_text(current) == current, "README.md's systems table is stale: run `python -m lookout.docs`"
    table = current.split(docs.BEGIN)[1].split(docs.END)[0]
    for s in SYSTEMS:
        assert f"| {s.port} |" in table and f"`{s.console_script}`" in table


def test_readme_table_follows_a_registry_change():
    current = docs.README.read_text()
    original = docs.SYSTEMS
    try:
        docs.SYSTEMS = original[:-1]
        shorter = docs.readme_text(current)
    finally:
        docs.SYSTEMS = original
    assert shorter != current and f"`{original[-1].console_script}`" not in shorter


def test_metrics_page_is_generated_from_the_descriptors():
    current = docs.METRICS.read_text()
    assert current.startswith("<!-- DO NOT EDIT")
    assert docs.metrics_text() == current, "docs/metrics.md is stale: run `python -m lookout.docs`"


def test_metrics_page_lists_each_declared_descriptor():
    text = docs.METRICS.read_text()
    for s in SYSTEMS:
        for d in docs.descriptors_of(s):
            assert f"| `{d.exposed_name(s.namespace)}` |" in text


def test_alerting_causal_model_is_generated_from_the_signals():
    current = docs.ALERTING.read_text()
    assert docs.alerting_text(current) == current, "docs/alerting.md's causal model is stale: run `python -m lookout.docs`"
    table = current.split(docs.MODEL_BEGIN)[1].split(docs.MODEL_END)[0]
    # One row per alert of the catalog (the header and rule lines aside), each an alert name.
    from lookout.alert_rules.catalog import build
    alerts = {s.alert for s in build()}
    rows = [line.split("|")[1].strip() for line in table.strip().splitlines()[2:]]
    assert sorted(rows) == sorted(alerts)


def test_a_hand_edited_causal_model_is_stale_and_regenerating_mends_it():
    current = docs.ALERTING.read_text()
    edited = current.replace("| TicksStale | table, container | TickRateLow", "| TicksStale | table, container | Nothing", 1)
    assert edited != current
    assert docs.alerting_text(edited) == current
