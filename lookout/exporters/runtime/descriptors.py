"""Every metric an exporter can emit, read from its collectors' typed descriptors (above the
collector, metrics and self-metrics modules, which do not import this one)."""
from __future__ import annotations

import importlib

from .collector import Collector
from .metrics import Descriptor
from .selfmetrics import exporter_self_descriptors


def exporter_descriptors(namespace: str) -> list[Descriptor]:
    """Every descriptor an exporter can emit: the runtime's own family, then each collector
    class's `metrics` under `lookout.exporters.<namespace>`, sorted by name.

    Used to generate docs/metrics.md and to lint rules and dashboards against real names.
    Raises ImportError for an unknown namespace.
    """
    import pkgutil  # here: only the docs and the lint tests list descriptors, never a running exporter
    package = importlib.import_module(f"lookout.systems.{namespace}.exporter")
    for mod in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
        importlib.import_module(mod.name)
    found: dict[str, Descriptor] = {}
    stack = list(Collector.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__module__.startswith(package.__name__ + ".") or cls.__module__ == package.__name__:
            for d in getattr(cls, "metrics", ()):
                found[d.full_name(namespace)] = d
    own = sorted(found.values(), key=lambda d: d.full_name(namespace))
    return list(exporter_self_descriptors()) + own
