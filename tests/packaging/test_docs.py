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
