"""Issue 23: the shared layers (deploy, alert rules, compose, demo, remediation, CLI) name no system. A system's part of
them lives in its folder (lookout/systems/<key>/target.py, scenarios.py, demo.py) and is found
through the registry; a sixth system then needs no edit here.

What counts is code: names (variables, attributes, arguments, imported modules) and string
literals, where a key appears as a word (letters and digits around it end it; `_`, `.`, `-`,
`:` do not, so `ticks_window` and `ticks:container_restarts` count). Comments and docstrings
do not: they may cite a system as an example. The keys come from the registry (lookout.systems.KEYS).

One key is also the name of a tool: `pm2` is the PM2 process manager, whose daemon socket the
shared `pm2_restart` remediation mechanism drives for any app (as `docker_restart` drives any
container). Those uses are listed in TOOL, line by line, each with why.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from lookout.systems import KEYS

ROOT = Path(__file__).resolve().parents[2]
SHARED = ("lookout/deploy", "lookout/alert_rules", "lookout/compose", "lookout/demo", "lookout/remediate", "lookout/cli")
# Shared templates (YAML): their lines outside comments.
TEMPLATES = ("lookout/compose/shared.yml",)

# The remediation action type that restarts any PM2 app (lookout/remediate/actions/pm2.py),
# a mechanism like docker_restart: a word of the receiver's configuration, in any file.
TOOL_WORDS = ("pm2_restart",)

# (file, a fragment of the line) where a key names a tool, not the system.
TOOL = {
    # The PM2 daemon's settings of the pm2_restart mechanism: `pm2: {home: ...}` in the
    # receiver's configuration, and PM2's own default home (~/.pm2).
    ("lookout/remediate/config.py", "pm2: PM2Settings = field(default_factory=PM2Settings)"),
    ("lookout/remediate/config.py", 'str(Path.home() / ".pm2")'),
    # The pm2_restart mechanism: its module and the PM2 settings it is built with.
    ("lookout/remediate/actions/__init__.py", "from .pm2 import PM2Restart"),
    ("lookout/remediate/actions/__init__.py", "return PM2Restart(name, cfg, settings.pm2)"),
    ("lookout/remediate/actions/pm2.py", "def __init__(self, name: str, cfg: ActionConfig, pm2: PM2Settings):"),
    ("lookout/remediate/actions/pm2.py", "self.rpc = RpcClient(pm2.socket_path())"),
}


def as_word(keys, flags=0) -> re.Pattern:
    """Any of `keys` as a word: no letter or digit touches it (`_`, `.`, `-`, `:` do not count)."""
    return re.compile(r"(?<![A-Za-z0-9])(" + "|".join(map(re.escape, keys)) + r")(?![A-Za-z0-9])", flags)


def docstrings(tree: ast.AST) -> set[int]:
    """ids of the string constants that are docstrings or other bare string statements."""
    return {id(node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)}


def words_in_code(source: str) -> list[tuple[int, str]]:
    """(line, text) of every name and non-docstring string literal in `source`."""
    tree = ast.parse(source)
    skip = docstrings(tree)
    found = []
    for node in ast.walk(tree):
        texts: list[str] = []
        if isinstance(node, ast.Name):
            texts = [node.id]
        elif isinstance(node, ast.Attribute):
            texts = [node.attr]
        elif isinstance(node, ast.arg):
            texts = [node.arg]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            texts = [node.name]
        elif isinstance(node, ast.ImportFrom):
            texts = [node.module or "", *(a.name for a in node.names), *(a.asname or "" for a in node.names)]
        elif isinstance(node, ast.Import):
            texts = [*(a.name for a in node.names), *(a.asname or "" for a in node.names)]
        elif isinstance(node, ast.keyword) and node.arg:
            texts = [node.arg]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            texts = [node.value]
        found += [(node.lineno, t) for t in texts if t]
    return found


def system_words(path: Path, keys=KEYS) -> list[str]:
    """`path:line: key in 'text'` for every key named in its code, less the TOOL lines."""
    source = path.read_text()
    lines = source.splitlines()
    rel = path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.name
    out = []
    for line, text in words_in_code(source):
        for word in TOOL_WORDS:
            text = text.replace(word, "")
        for key in keys:
            if as_word((key,)).search(text):
                if any(rel == f and fragment in lines[line - 1] for f, fragment in TOOL):
                    continue
                out.append(f"{rel}:{line}: {key} in {text!r}")
    return sorted(set(out))


def shared_modules(root: Path = ROOT) -> list[Path]:
    return sorted(p for top in SHARED for p in (root / top).rglob("*.py"))


def test_the_registry_has_systems_to_look_for():
    assert len(KEYS) >= 4 and shared_modules()


@pytest.mark.parametrize("path", shared_modules(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_shared_module_names_no_system(path):
    assert system_words(path) == [], "a system's part belongs in lookout/systems/<key>/ (lookout/demo/hooks.py)"


@pytest.mark.parametrize("rel", TEMPLATES)
def test_a_shared_template_names_no_system(rel):
    found = [(n, line) for n, line in enumerate((ROOT / rel).read_text().splitlines(), 1)
             if as_word(KEYS, re.I).search(line.split("#", 1)[0])]
    assert not found, f"{rel} names a system (that part belongs in lookout/systems/<key>/service.yml): {found}"


def test_every_tool_line_is_still_there():
    # A stale TOOL entry would excuse a system's name written on that line later.
    for file, fragment in TOOL:
        assert fragment in (ROOT / file).read_text(), (file, fragment)


def test_the_check_sees_code_and_not_prose(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('"""Docstring: nectar may be cited."""\n'
                      "# a comment about ticks\n"
                      "from lookout.systems.ticks.target import CONTAINER\n"
                      "floor = {'ticks:container_restarts:increase1h': 180}\n"
                      "def f(pm2_home, ticks_window_seconds=1):\n"
                      "    '''docstring of f, about tburn'''\n"
                      "    return settings.tburn, f'{x} nectar-stall', pm2rpc, PM2Restart\n")
    found = system_words(sample, ("nectar", "ticks", "pm2", "tburn"))
    assert sorted(f.split(": ", 1)[1].split(" in ")[0] for f in found) == ["nectar", "pm2", "tburn", "ticks", "ticks",
                                                                             "ticks"], found
