"""The runtime package's exports stay what they are whatever is imported later.

Importing a submodule sets an attribute of that name on its package (the import system's
rule), so a submodule named like an export replaces the export for everyone: a module
named `bounded` once turned `runtime.bounded` (the label bounding function) into a module
as soon as PM2's jlist reader imported it."""
from __future__ import annotations

import importlib
import pkgutil
import types

import lookout.exporters.runtime as runtime


def test_no_submodule_is_named_like_an_export():
    submodules = {m.name for m in pkgutil.iter_modules(runtime.__path__)}
    assert sorted(submodules & set(runtime.__all__)) == []


def test_every_export_survives_importing_every_submodule():
    for m in pkgutil.iter_modules(runtime.__path__):
        importlib.import_module(f"{runtime.__name__}.{m.name}")
    modules = [name for name in runtime.__all__ if isinstance(getattr(runtime, name), types.ModuleType)]
    assert modules == []
