"""Layers reach one way: read from each module's import statements (the source is the truth)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "lookout"


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


def offenders(folder: str, forbidden: tuple[str, ...]) -> list[str]:
    out = []
    for path in sorted((PACKAGE / folder).rglob("*.py")):
        bad = sorted(n for n in imports(path) if any(n == f or n.startswith(f + ".") for f in forbidden))
        out += [f"{path.relative_to(ROOT)} imports {n}" for n in bad]
    return out


@pytest.mark.parametrize("folder, forbidden", [
    ("simulators", ("lookout.exporters",)),   # demo targets stand in for the applications
    ("demo", ("tests",)),                      # the demo ships; tests do not
    ("devstack", ("tests",)),
    ("exporters", ("lookout.demo", "lookout.simulators", "lookout.devstack", "tests")),
    ("systems", ("lookout.exporters", "lookout.alert_rules", "lookout.dashboards", "lookout.demo")),
])
def test_layer(folder, forbidden):
    assert offenders(folder, forbidden) == []


def test_the_checker_sees_a_relative_import():
    sample = PACKAGE / "simulators" / "common" / "serve.py"
    assert "lookout.netutil" in imports(sample)
    assert "lookout.simulators.common.control" in imports(sample)  # `from .control import ...`
