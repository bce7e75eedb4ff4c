"""The test pyramid: every test gets exactly one tier mark, so a new test is classified without
an edit (`./scripts/test -m unit` is the fast tier; pyproject.toml describes the marks).

Loaded for every test by the root conftest.py (`pytest_plugins`), so it marks the tests of
each system's folder (lookout/systems/<key>/tests/) as it marks those under tests/.

- `system`: tests/e2e and tests/ha (the whole chain, demo or production timing);
- `integration`: the test function, or a fixture it uses (directly or through other
  fixtures), can start a process or a real server: its code (or a helper of its module it
  calls, or a test-side helper it imports) uses `subprocess`, `multiprocessing`, a
  lookout.devstack part (other than the pure helpers in SAFE) or names promtool;
- `unit`: the rest (in-process: recorded answers, golden output, generators, linters).

A test may set its tier itself (`pytestmark = pytest.mark.unit`): an explicit mark wins.
"""
from __future__ import annotations

import ast
import os
import re
import sys
from functools import cache
from pathlib import Path

import pytest

TIERS = ("unit", "integration", "system")
ROOT = Path(__file__).resolve().parents[1]
SYSTEM_FOLDERS = (ROOT / "tests" / "e2e", ROOT / "tests" / "ha")
# Test-side modules: tests/ and each system's own tests (lookout/systems/<key>/tests/).
TEST_SIDE = re.compile(r"(tests|lookout\.systems\.\w+\.tests)(\..+)?")
STARTER_MODULES = ("subprocess", "multiprocessing", "lookout.devstack", "lookout.demo.native", "lookout.deploy.local")
# lookout.devstack names that start nothing (a client of a server some fixture started is
# already counted through that fixture).
SAFE = {"ROOT", "free_port", "wait_until", "http_get", "scrape", "Metrics", "write_yaml"}


def _starter_import(module: str, name: str | None) -> bool:
    if not any(module == s or module.startswith(s + ".") for s in STARTER_MODULES):
        return False
    return name is None or not module.startswith("lookout.devstack") or name not in SAFE


@cache
def starters(module_name: str) -> frozenset[str]:
    """Top-level names of a loaded module that can start a process: imports of starter modules,
    starter names of test-side modules, and the module's own functions and classes using them."""
    module = sys.modules.get(module_name)
    path = getattr(module, "__file__", None)
    if not path or not path.endswith(".py"):
        return frozenset()
    tree = ast.parse(Path(path).read_text())
    found: set[str] = set()
    defs: dict[str, ast.AST] = {}
    for node in tree.body:
        if isinstance(node, ast.Import):
            found |= {(a.asname or a.name).split(".")[0] for a in node.names if _starter_import(a.name, None)}
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(module_name, path, node)
            for a in node.names:
                if _starter_import(source, a.name) or (TEST_SIDE.fullmatch(source) and _test_side(source, a.name)):
                    found.add(a.asname or a.name)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defs[node.name] = node
    uses = {name: _names(node) for name, node in defs.items()}
    changed = True
    while changed:
        changed = False
        for name, used in uses.items():
            if name not in found and (used & found or "promtool" in used):
                found.add(name)
                changed = True
    return frozenset(found)


def _names(node: ast.AST) -> set[str]:
    out = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            out.add(sub.id)
        elif isinstance(sub, ast.Constant) and isinstance(sub.value, str) and "promtool" in sub.value:
            out.add("promtool")
        elif isinstance(sub, (ast.Import, ast.ImportFrom)):   # imports inside a function
            mod = getattr(sub, "module", None) or ""
            if any(_starter_import(a.name if isinstance(sub, ast.Import) else mod, a.name) for a in sub.names):
                out.add("promtool")   # any marker of a starter
    return out


def _absolute(module_name: str, path: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = module_name if path.endswith("__init__.py") else module_name.rpartition(".")[0]
    base = package.split(".")[:len(package.split(".")) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def _test_side(module: str, name: str) -> bool:
    if f"{module}.{name}" in sys.modules:      # `from . import harness`
        return bool(starters(f"{module}.{name}"))
    return name in starters(module)


def _uses_starter(func) -> bool:
    func = getattr(func, "__wrapped__", func)   # hypothesis and friends wrap tests
    module = getattr(func, "__module__", "") or ""
    top = (getattr(func, "__qualname__", "") or "").split(".")[0]
    return top in starters(module)


def tier(item: pytest.Item) -> str:
    path = Path(str(item.fspath)).resolve()
    if any(path.is_relative_to(folder) for folder in SYSTEM_FOLDERS):
        return "system"
    if _uses_starter(getattr(item, "obj", None)):
        return "integration"
    for name in getattr(item, "fixturenames", ()):
        for fixturedef in item.session._fixturemanager.getfixturedefs(name, item) or ():
            if _uses_starter(fixturedef.func):
                return "integration"
    return "unit"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if not any(item.get_closest_marker(t) for t in TIERS):
            item.add_marker(getattr(pytest.mark, tier(item)))
            item._tier_assigned = True


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config) -> int:
    """`-n auto` (scripts/test passes it): one pytest-xdist worker per core when the run cannot
    select a system test, none otherwise. The system tier's demo and production timings assume
    the machine to themselves, so a run that includes it stays serial, as CI's whole run does."""
    return len(os.sched_getaffinity(0)) if not _may_select_system(config) else 0


def _may_select_system(config) -> bool:
    from _pytest.mark.expression import Expression

    expr = config.option.markexpr
    if expr and not Expression.compile(expr).evaluate(lambda name, **kw: name == "system"):
        return False
    if config.args_source is not pytest.Config.ArgsSource.ARGS:
        return True
    base = Path(config.invocation_params.dir)
    paths = [(base / arg.split("::")[0]).resolve() for arg in config.args]
    return any(p.is_relative_to(f) or f.is_relative_to(p) for p in paths for f in SYSTEM_FOLDERS)


def pytest_runtest_setup(item):
    # The classification, enforced: a test classified unit here (not marked by hand) that
    # starts a process fails, naming the hook to fix, instead of slowing the fast tier.
    if item.get_closest_marker("unit") and getattr(item, "_tier_assigned", False):
        item._popen_guard = pytest.MonkeyPatch()
        item._popen_guard.setattr("subprocess.Popen.__init__", _refuse)


def pytest_runtest_teardown(item):
    guard = getattr(item, "_popen_guard", None)
    if guard is not None:
        guard.undo()


def _refuse(self, args, *rest, **kw):
    raise AssertionError(f"a test classified `unit` by tests/pyramid.py started a process ({args!r}): "
                         "mark it integration, or teach tier() what it uses")
