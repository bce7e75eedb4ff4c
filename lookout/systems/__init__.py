"""The systems Lookout watches: each declared once, in a module of its own in this package.

    from lookout.systems import SYSTEMS, by_key
    for s in SYSTEMS: s.key, s.namespace, s.port, s.display_name, s.exporter_module, ...

`SYSTEMS` is a tuple of `System`, ordered by exporter port. A system is a module in this
package that defines `SYSTEM = System(...)`; adding a sixth module adds a system, and nothing
else in this package changes. Importing it is cheap on purpose: it imports no exporter,
generator or demo code (modules are named here as dotted strings and loaded by the consumer).
The systems are discovered when `SYSTEMS` or `KEYS` is first read (a module `__getattr__`, PEP 562),
not when the package is imported: every system's own package imports this one for `System`, so
an eager discovery would make one exporter import all the others at its start.

Spellings: `key` is the `system` label of every alert about it (the alert catalog's), the
Prometheus job name and the exporter's metric namespace. Self-alerts about the exporters carry
the pseudo-system `SELF_SYSTEM` ("exporter"), which is not in `SYSTEMS`.
"""
from __future__ import annotations

import importlib
from lookout.records import record

# The `system` label of alerts about Lookout's own exporters (catalog: ExporterDown & co).
SELF_SYSTEM = "exporter"


@record(frozen=True)
class System:
    """One watched system.

    key: lower-case identifier; the alert `system` label, Prometheus job and metric namespace.
    display_name: what people read on dashboards and in docs ("Sync server").
    port: the exporter's default TCP port (Lookout's range starts at 9861).
    demo_target: the target's name in the demo's control API (`/_sim` faults, `recover`);
        empty means the key, which every system uses (one spelling per system).
    demo_module: the simulator's package (`python -m` runs it, or its files, as for the Node app).
    demo_config: "module:function" the native demo calls to start the target and return the
        exporter's configuration (a dict); see lookout/demo/native.py ("what a demo target may ask for").
    description: one line for the docs tables ("a Go Cardano indexer on TiDB").
    runbooks: the user's runbook numbers about it (shared/runbooks/NNN_*.md).
    exporter_module, signals_module, dashboard_module: dotted module names; empty means the
        conventional `lookout.systems.<key>.exporter`, `.signals`, `.dashboard`.
    hosts_module: where its exporter is installed on the user's hosts (lookout/deploy/install.py
        reads its HOST, MACHINE and files()); empty means `lookout.systems.<key>.hosts`. The
        module is optional: without it the system gets a host of its own and no install files.
    scenarios_module: its demo scenarios (`SCENARIOS`, a tuple of lookout.demo.scenario.Scenario);
        empty means `lookout.systems.<key>.scenarios`. A system without that module has none.
    demo_hooks_module: optional hooks the native demo calls (lookout/demo/hooks.py lists them);
        empty means `lookout.systems.<key>.demo`. A system without that module needs none.
    """
    key: str
    display_name: str
    port: int
    demo_module: str
    demo_config: str
    description: str = ""
    runbooks: tuple[str, ...] = ()
    demo_target: str = ""
    exporter_module: str = ""
    signals_module: str = ""
    dashboard_module: str = ""
    hosts_module: str = ""
    scenarios_module: str = ""
    demo_hooks_module: str = ""

    def __post_init__(self) -> None:
        if not self.key.isidentifier() or not self.key.islower():
            raise ValueError(f"system key {self.key!r}: a lower-case identifier (it is a metric namespace)")
        for attr, default in (("demo_target", self.key), ("exporter_module", f"lookout.systems.{self.key}.exporter"),
                              ("signals_module", f"lookout.systems.{self.key}.signals"),
                              ("dashboard_module", f"lookout.systems.{self.key}.dashboard"),
                              ("hosts_module", f"lookout.systems.{self.key}.hosts"),
                              ("scenarios_module", f"lookout.systems.{self.key}.scenarios"),
                              ("demo_hooks_module", f"lookout.systems.{self.key}.demo")):
            if not getattr(self, attr):
                object.__setattr__(self, attr, default)

    @property
    def namespace(self) -> str:
        """The exporter's metric prefix (`<namespace>_up`)."""
        return self.key

    @property
    def job(self) -> str:
        """The Prometheus job name that scrapes its exporter."""
        return self.key

    @property
    def console_script(self) -> str:
        return f"lookout-{self.key}"

    @property
    def folder(self):
        """Its folder, lookout/systems/<key>/ (a pathlib.Path), for generators that read its
        files without importing them."""
        from pathlib import Path
        return Path(__path__[0]) / self.key


def _discover() -> tuple[System, ...]:
    import pkgutil  # here: an exporter, which never reads the registry, does not pay for it
    found = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        system = getattr(importlib.import_module(f"{__name__}.{info.name}"), "SYSTEM", None)
        if not isinstance(system, System):
            raise ImportError(f"{__name__}.{info.name} defines no SYSTEM = System(...)")
        if system.key != info.name:
            raise ImportError(f"{__name__}.{info.name} declares key {system.key!r}: the module is named after its key")
        found.append(system)
    found.sort(key=lambda s: s.port)
    for attr in ("port", "display_name", "demo_target"):
        values = [getattr(s, attr) for s in found]
        dupes = {v for v in values if values.count(v) > 1}
        if dupes:
            raise ImportError(f"two systems share a {attr}: {sorted(dupes)}")
    return tuple(found)


SYSTEMS: tuple[System, ...]
KEYS: tuple[str, ...]


def _registry() -> tuple[System, ...]:
    if "SYSTEMS" not in globals():
        systems = _discover()
        globals().update(SYSTEMS=systems, KEYS=tuple(s.key for s in systems))
    return globals()["SYSTEMS"]


def __getattr__(name: str):
    """SYSTEMS and KEYS, discovered on first use and then kept as plain module attributes."""
    if name not in ("SYSTEMS", "KEYS"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    _registry()
    return globals()[name]


def by_key(key: str) -> System:
    """The system called `key`; KeyError naming the known keys otherwise."""
    for s in _registry():
        if s.key == key:
            return s
    raise KeyError(f"no system {key!r}; known: {', '.join(s.key for s in _registry())}")
