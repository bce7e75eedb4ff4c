"""The value sets the exporters report (state sets, eras), read from the exporter's own
source, so a dashboard names exactly the states the exporter emits without importing it:
importing an exporter package loads its database drivers and psutil, which have no business
in generating JSON.

Each name must be a module-level tuple of string literals (`STATES = ("online", ...)`);
anything else is a ValueError naming the file, raised at generation time.
"""
from __future__ import annotations

import ast
from pathlib import Path

from lookout.systems import by_key


def constant(module: str, name: str) -> tuple[str, ...]:
    """`name` from a system's exporter module, "<key>/<module>" ("<key>/endpoints" is
    lookout/systems/<key>/exporter/endpoints.py), as a tuple of strings."""
    key, _, rest = module.partition("/")
    return literal(by_key(key).folder / "exporter" / f"{rest}.py", name)


def literal(path: Path, name: str) -> tuple[str, ...]:
    """The module-level tuple of strings `name` in the Python file `path`, read without
    importing it; a ValueError naming the file when it is missing or not such a literal."""
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
