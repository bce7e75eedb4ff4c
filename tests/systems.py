"""Each system's own rows of the shared tests, loaded by name from its folder.

A shared test names no system: it iterates over the registry and reads each system's rows
from a module of that system's tests folder, `lookout/systems/<key>/tests/<name>.py`:

    contract.py    required: the catalog's rows (CONTRACT, DOWN; BOUNDED, EXPLAINS, MEMBERS,
                   SYMPTOMS where it has some), for tests/alerts/test_catalog_contract.py, and
                   DASHBOARD_UID, for tests/dashboards/test_generation.py
    rulecases.py   optional: FIXTURES, how each signal's series are made (tests/alerts/rulecases.py)
    rule_cases.yml optional: hand-written promtool cases (tests/alerts/test_rules_promtool.py)
    golden.py      required: the golden /metrics from recorded answers (tests/golden)
    live.py        required: start(stack), the exporter against a real backend with some activity,
                   and MAY_BE_EMPTY where a panel may stay empty (tests/dashboards/live_stack.py,
                   test_live_data.py)
    production.py  optional: its root cause in the production-timing stack: serve(t), PAGES,
                   HELD (tests/e2e/test_production_timing.py)

Its own tests (test_*.py, a conftest.py with its fixtures) sit beside them; pytest finds them
through pyproject's testpaths and tests/pyramid.py gives each its tier.

Each row keeps beside it the independent source of its expected value (the catalog's row, the
application file), as the shared tables did.
"""
from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

from lookout.systems import SYSTEMS


def folder(key: str) -> Path:
    """lookout/systems/<key>/tests/."""
    return Path(importlib.import_module(f"lookout.systems.{key}").__file__).resolve().parent / "tests"


def rows(name: str, required: bool = True) -> dict[str, ModuleType]:
    """{key: the module lookout.systems.<key>.tests.<name>} for every system, in registry order.
    A system without one: ModuleNotFoundError naming the file it lacks when `required`, left
    out otherwise (an import error inside the module is raised either way)."""
    out = {}
    for s in SYSTEMS:
        module = f"lookout.systems.{s.key}.tests.{name}"
        try:
            out[s.key] = importlib.import_module(module)
        except ModuleNotFoundError as err:
            if err.name not in (module, module.rpartition(".")[0]):   # its own import failed, not the lookup
                raise
            if required:
                raise ModuleNotFoundError(f"system {s.key!r} has no lookout/systems/{s.key}/tests/{name}.py: "
                                          "tests/systems.py says what it holds", name=module) from None
    return out


def merged(name: str, table: str, required: bool = True) -> dict:
    """Every system's `table` (a dict) of `name`.py, merged; a key in two systems is an error."""
    out: dict = {}
    for key, module in rows(name, required).items():
        part = getattr(module, table, {})
        twice = set(part) & set(out)
        if twice:
            raise ValueError(f"lookout/systems/{key}/tests/{name}.py: {table} repeats {sorted(twice)}")
        out.update(part)
    return out


def union(name: str, table: str, required: bool = True) -> set:
    """Every system's `table` (a set) of `name`.py, together."""
    return {item for module in rows(name, required).values() for item in getattr(module, table, ())}


def case_files() -> dict[str, Path]:
    """{key: lookout/systems/<key>/tests/rule_cases.yml} for the systems that have one."""
    return {s.key: folder(s.key) / "rule_cases.yml" for s in SYSTEMS if (folder(s.key) / "rule_cases.yml").is_file()}
