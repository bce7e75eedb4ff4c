"""The layer contract, stated once: who may import whom, read from each module's import
statements (the source is the truth; imports inside functions count), and no import cycles.

Bottom to top; a module imports only its own layer and the ones below it, and the packages
listed side by side in one layer (`|`) do not import each other:

    registry and small shared modules   lookout (the package), systems and each system's record
                                        (lookout.systems.<key>), durations, netutil, promql, generated
    runtime                             lookout.exporters.runtime
    shared clients and parts            pm2rpc (PM2's daemon socket: the PM2 exporter and remediate)
                                        | simulators (what the simulators share)
    parts                               each system's exporter | each system's simulator | devstack
    generators                          alert_rules, then each system's signals, then dashboards | docs | compose,
                                        then each system's dashboard
    tools                               deploy | remediate, then each system's hosts (its installation
                                        files, from deploy's helpers), then the demo's profiles, configs,
                                        scenario record and hooks loader, then each system's demo target,
                                        scenarios and hooks, then the rest of demo, then generate (runs
                                        every generator), then cli
    above everything                    tests, then each system's own tests
                                        (lookout.systems.<key>.tests), then bench

A system's folder (lookout/systems/<key>/) spans the layers: its parts sit where their kind
sits, side by side with the other systems' (they never import each other). Shared layers load
them by the names in the registry (importlib), which this contract does not count as an import.
Simulators stand in for the applications (never the exporters' code); devstack runs real servers.
Above the exporters, nothing in lookout/ imports an exporter's own package: it is run, not
imported (docs reads descriptors through the runtime).
"""
from __future__ import annotations

import ast
import graphlib
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "lookout"
SOURCES = ("lookout", "tests", "bench")

SYSTEM_KEYS = tuple(p.name for p in sorted((PACKAGE / "systems").iterdir()) if (p / "__init__.py").exists())


def parts(kind: str) -> list[tuple[str, ...]]:
    """One sibling group per system: its part of that kind (`exporter`, `signals`, ...)."""
    return [(f"lookout.systems.{k}.{kind}",) for k in SYSTEM_KEYS]


EXPORTERS = tuple(g[0] for g in parts("exporter"))

# Bottom to top; each layer is a list of sibling groups, each group a tuple of module prefixes.
LAYERS: list[list[tuple[str, ...]]] = [
    [("lookout.__init__", "lookout.records", "lookout.systems", "lookout.durations", "lookout.netutil", "lookout.promql",
      "lookout.generated")],
    [("lookout.exporters.runtime",)],
    [("lookout.pm2rpc",), ("lookout.simulators",)],
    [*parts("exporter"), ("lookout.exporters.__init__", "lookout.exporters.start"), *parts("simulator"), ("lookout.devstack",)],
    [("lookout.alert_rules",)],
    parts("signals"),
    [("lookout.dashboards",), ("lookout.docs",), ("lookout.compose",)],
    parts("dashboard"),
    [("lookout.deploy",), ("lookout.remediate",)],
    parts("hosts"),
    [("lookout.demo.profiles", "lookout.demo.configs", "lookout.demo.scenario", "lookout.demo.hooks")],
    # A system's demo parts may use each other (its hooks name its target's container).
    [tuple(f"lookout.systems.{k}.{kind}" for kind in ("target", "scenarios", "demo")) for k in SYSTEM_KEYS],
    [("lookout.demo",)],
    [("lookout.generate",)],
    [("lookout.cli",)],
    [("tests",)],
    parts("tests"),
    [("bench",)],
]
TESTS_LAYER = len(LAYERS) - 3


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


@cache
def modules() -> dict[str, Path]:
    """Every module of the checkout's code, by dotted name (a package as `<pkg>.__init__`)."""
    return {module_name(p): p for top in SOURCES for p in sorted((ROOT / top).rglob("*.py"))
            if "node_modules" not in p.parts}


def imports(path: Path) -> set[str]:
    """Absolute names of every module `path` imports (relative imports resolved)."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[:len(base) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.add(name)
            found |= {f"{name}.{a.name}" for a in node.names}
    return found


def resolve(name: str) -> str | None:
    """The checkout module `name` refers to (`a.b.X` where X is a class: `a.b`), or None (third party)."""
    known = modules()
    parts = name.split(".")
    while parts:
        for candidate in (".".join(parts), ".".join(parts) + ".__init__"):
            if candidate in known:
                return candidate
        parts.pop()
    return None


@cache
def graph() -> dict[str, set[str]]:
    """module -> the checkout modules it imports. `from pkg import mod` is an edge to pkg.mod only
    (importing a submodule runs the package's __init__, but that is the package's own layer)."""
    out = {}
    for name, path in modules().items():
        deps = {resolve(n) for n in imports(path)} - {None, name}
        # `from pkg import mod` also names `pkg`: keep the most precise target only.
        out[name] = {d for d in deps if not any(o != d and o.startswith(d.removesuffix("__init__")) for o in deps)}
    return out


def place(module: str) -> tuple[int, int]:
    """(layer, sibling group) of a module; the longest matching prefix wins."""
    best = None
    for i, layer in enumerate(LAYERS):
        for j, group in enumerate(layer):
            for prefix in group:
                if (module == prefix or module.startswith(prefix + ".")) and (best is None or len(prefix) > best[0]):
                    best = (len(prefix), (i, j))
    assert best, f"{module} is in no layer: add it to LAYERS"
    return best[1]


def violations(g: dict[str, set[str]]) -> list[str]:
    out = []
    exporters_layer = place(EXPORTERS[0])[0]
    for mod, deps in sorted(g.items()):
        here = place(mod)
        for dep in sorted(deps):
            there = place(dep)
            if there[0] > here[0]:
                out.append(f"{mod} (layer {here[0]}) imports {dep} from layer {there[0]} above it")
            elif there[0] == here[0] and there[1] != here[1]:
                out.append(f"{mod} imports its sibling {dep}")
            elif mod.startswith("lookout.") and exporters_layer < here[0] < TESTS_LAYER and dep.startswith(EXPORTERS):
                out.append(f"{mod} reaches into the exporter module {dep}")
    return out


def cycle(g: dict[str, set[str]]) -> list[str]:
    try:
        graphlib.TopologicalSorter(g).prepare()
    except graphlib.CycleError as err:
        return err.args[1]
    return []


def test_every_module_has_a_layer():
    for mod in modules():
        place(mod)


def test_layers_reach_down_only():
    assert violations(graph()) == []


def test_no_import_cycle():
    assert cycle(graph()) == []


# The checker itself, on small graphs and on the code it once caught.

def test_the_checker_sees_a_relative_import():
    sample = PACKAGE / "simulators" / "common" / "serve.py"
    assert "lookout.netutil" in imports(sample)
    assert "lookout.simulators.common.control" in imports(sample)  # `from .control import ...`


def test_the_checker_sees_an_upward_import_and_a_sibling():
    g = {"lookout.deploy.ha": {"lookout.demo.alertmanager"},           # deploy -> demo (was)
         "lookout.systems.tburn.simulator.app": {"lookout.systems.tburn.exporter.collectors"},
         "lookout.remediate.actions.pm2": {"lookout.systems.pm2.exporter.rpc"}}
    found = violations(g)
    assert len(found) == 3, found


def test_a_systems_own_tests_sit_above_everything_but_bench():
    """lookout/systems/<key>/tests/ is test code inside the package: nothing of Lookout may import
    it, it may import the shared tests, and two systems' tests are siblings."""
    key, other = SYSTEM_KEYS[:2]
    g = {f"lookout.systems.{key}.exporter.app": {f"lookout.systems.{key}.tests.golden"},
         f"lookout.systems.{key}.tests.test_app": {f"lookout.systems.{other}.tests.conftest"},
         f"lookout.systems.{key}.tests.golden": {"tests.golden", f"lookout.systems.{key}.exporter"}}
    found = violations(g)
    assert len(found) == 2 and all(f"lookout.systems.{key}.tests.golden" not in f.split()[0] for f in found), found
    assert place("tests.alerts")[0] < place(f"lookout.systems.{key}.tests.golden")[0] < place("bench")[0]


@pytest.mark.parametrize("g", [
    # runtime/collector.py -> metrics.py -> selfmetrics.py, and metrics.py imported collector (was)
    {"collector": {"metrics"}, "metrics": {"collector", "selfmetrics"}, "selfmetrics": {"metrics"}},
    {"a": {"a"}},
])
def test_the_checker_finds_a_cycle(g):
    assert cycle(g)
