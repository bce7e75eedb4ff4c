"""The value sets the exporters report (state sets, eras), read from the exporter's own
source, so a dashboard names exactly the states the exporter emits without importing it:
importing an exporter package loads aiohttp, asyncpg, PyMySQL and psutil, which have no
business in generating JSON.

Each name must be a module-level tuple of string literals (`STATES = ("online", ...)`);
anything else is a ValueError naming the file, raised at generation time.
"""
from __future__ import annotations

import ast
import importlib.util
from functools import cache
from pathlib import Path


@cache
def _systems_dir() -> Path:
    # lookout.systems imports only the registry records; the exporter packages are not imported.
    spec = importlib.util.find_spec("lookout.systems")
    return Path(spec.origin).parent


def constant(module: str, name: str) -> tuple[str, ...]:
    """`name` from a system's exporter module, "<key>/<module>" ("<key>/endpoints" is
    lookout/systems/<key>/exporter/endpoints.py), as a tuple of strings."""
    key, _, rest = module.partition("/")
    path = _systems_dir() / key / "exporter" / f"{rest}.py"
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else (
            [node.target] if isinstance(node, ast.AnnAssign) and node.value is not None else [])
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                raise ValueError(f"{path}: {name} is not a literal; dashboards read it as a tuple of strings") from None
            if not (isinstance(value, tuple) and value and all(isinstance(v, str) for v in value)):
                raise ValueError(f"{path}: {name} must be a non-empty tuple of strings, not {value!r}")
            return value
    raise ValueError(f"{path}: no module-level {name}; the dashboards name its states")
