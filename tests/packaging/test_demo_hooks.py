"""Issue 23: the demo finds each system's scenarios and hooks through the registry
(lookout/demo/hooks.py): a system may have neither, and two systems may not claim one name."""
from __future__ import annotations

import ast
from lookout import records
from pathlib import Path

import pytest

from lookout.demo import hooks
from lookout.demo.scenarios import SCENARIOS, gather
from lookout.remediate.demo import demo_config
from lookout.systems import SYSTEMS, System


def toy(key: str, **fields) -> System:
    return System(key=key, display_name=f"Toy {key}", port=19000, demo_module="x", demo_config="x:start", **fields)


def test_a_system_without_scenarios_or_hooks_has_none():
    bare = toy("toyless")  # lookout.systems.toyless.scenarios / .demo do not exist
    assert gather((bare,)) == {}
    assert hooks.each("remediation", (bare,)) == []


def test_a_one_file_system_has_no_parts_below_it():
    # A registry record may be a module, not a package (lookout/systems/<key>.py).
    assert hooks.optional_module("lookout.durations.scenarios") is None  # lookout.durations: a plain module


def test_every_scenario_comes_from_its_own_system_in_registry_order():
    systems = [s.system for s in SCENARIOS.values()]
    keys = [s.key for s in SYSTEMS]
    assert set(systems) <= set(keys)
    assert systems == sorted(systems, key=keys.index)  # grouped per system, in registry order


def test_a_scenario_name_two_systems_share_is_refused():
    first = next(s for s in SYSTEMS if gather((s,)))
    twin = records.replace(first, key="twin", display_name="Twin", port=19001)
    with pytest.raises(ValueError, match="two scenarios are called"):
        gather((first, twin))


def test_two_systems_claiming_one_service_or_action_are_refused():
    a, b = toy("one"), toy("two")
    with pytest.raises(ValueError, match="'tidb' is defined by both one and two"):
        hooks.merged([(a, {"tidb": 1}), (b, {"tidb": 2})], "service")
    with pytest.raises(ValueError, match="'restart' is given by both one and two"):
        demo_config(Path("/w"), None, True,
                    [(a, {"actions": {"restart": {}}}), (b, {"actions": {"restart": {}}})])
    with pytest.raises(ValueError, match="'docker' is given by both the demo and one"):
        demo_config(Path("/w"), None, True, [(a, {"docker": {"host": "x"}})])


def test_remediation_parts_merge_in_registry_order():
    a, b = toy("one"), toy("two")
    cfg = demo_config(Path("/w"), "unix:///d.sock", False,
                      [(a, {"pm2": {"home": "/h"}, "actions": {"x": {"type": "http"}}}), (b, {"actions": {"y": {}}})])
    assert list(cfg) == ["enabled", "dry_run", "audit_log", "cooldown_seconds", "max_attempts", "window_seconds",
                         "docker", "pm2", "actions"]
    assert cfg["docker"] == {"host": "unix:///d.sock"} and list(cfg["actions"]) == ["x", "y"]
    assert (cfg["cooldown_seconds"], cfg["window_seconds"], cfg["dry_run"]) == (600, 3600, False)


@pytest.mark.parametrize("system", SYSTEMS, ids=lambda s: s.key)
def test_a_hooks_module_imports_nothing_from_the_demo(system):
    # lookout.demo.profiles reads the hooks while it is itself being imported: a hooks module
    # that imported lookout.demo (its target does, through configs) would meet it half-built.
    module = hooks.hooks(system)
    if module is None:
        pytest.skip(f"{system.key} has no demo hooks")
    tree = ast.parse(Path(module.__file__).read_text())
    imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and not n.level]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    relative = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level]
    assert [m for m in imported if m == "lookout.demo" or m.startswith("lookout.demo.")] == []
    assert relative == [], "its target and scenarios import lookout.demo"
