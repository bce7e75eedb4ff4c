"""The shared deploy, alert-rule and compose layers name no system: a system's part lives in its own
folder (lookout/systems/<key>/) and is found through the registry, so adding a system edits no
shared module. Read from each module's tokens: an identifier or a string literal (docstrings
aside) that holds a registry key as a word fails; comments and docstrings may give examples.
Keys come from the registry (lookout.systems.KEYS), never from a list here."""
from __future__ import annotations

import io
import re
import token
import tokenize
from pathlib import Path

import pytest

from lookout.systems import KEYS

ROOT = Path(__file__).resolve().parents[2]
SHARED = ("lookout/deploy", "lookout/alert_rules", "lookout/compose")
# Shared templates (YAML): their lines outside comments.
TEMPLATES = ("lookout/compose/shared.yml",)


def naming(source: str, keys: tuple[str, ...]) -> list[tuple[int, str]]:
    """(line, token text) of each identifier or non-docstring string holding a key as a word
    (any case: `PM2_MAX` names the key `pm2`). Underscores count as word breaks, hyphens and
    dots too (`lookout-ticks`, `systems.nectar`)."""
    word = re.compile(r"(?<![A-Za-z0-9])(" + "|".join(map(re.escape, keys)) + r")(?![A-Za-z0-9])", re.I)
    found = []
    previous = token.NEWLINE   # a string right after a statement boundary is a docstring (or a bare expression)
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type in (token.NAME, token.STRING, token.FSTRING_START if hasattr(token, "FSTRING_START") else -1):
            docstring = tok.type == token.STRING and previous in (token.NEWLINE, token.INDENT, token.DEDENT)
            if not docstring and word.search(tok.string):
                found.append((tok.start[0], tok.string))
        if hasattr(token, "FSTRING_MIDDLE") and tok.type == token.FSTRING_MIDDLE and word.search(tok.string):
            found.append((tok.start[0], tok.string))
        if tok.type not in (token.COMMENT, token.NL):
            previous = tok.type
    return found


def shared_modules() -> list[Path]:
    return sorted(p for top in SHARED for p in (ROOT / top).rglob("*.py"))


@pytest.mark.parametrize("path", shared_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_a_shared_module_names_no_system(path):
    found = naming(path.read_text(), KEYS)
    assert not found, (f"{path.relative_to(ROOT)} names a system in code (move that part to "
                       f"lookout/systems/<key>/ and find it through the registry): {found}")


@pytest.mark.parametrize("rel", TEMPLATES)
def test_a_shared_template_names_no_system(rel):
    word = re.compile(r"(?<![A-Za-z0-9])(" + "|".join(map(re.escape, KEYS)) + r")(?![A-Za-z0-9])", re.I)
    found = [(n, line) for n, line in enumerate((ROOT / rel).read_text().splitlines(), 1)
             if word.search(line.split("#", 1)[0])]
    assert not found, f"{rel} names a system (that part belongs in lookout/systems/<key>/service.yml): {found}"


# The checker itself.

def test_the_checker_sees_a_key_in_code_but_not_in_prose():
    source = '''"""Placement, e.g. nectar.example.internal."""
# the ticks collector's host
PLACEMENT = {"nectar": "nectar.example.internal"}
PM2_MAX_MEMORY = "90M"
def f():
    """ticks only"""
    return f"lookout-{x}-ticks"
x = "tickets and nectarine"
'''
    lines = sorted({line for line, _ in naming(source, ("nectar", "ticks", "pm2"))})
    assert lines == [3, 4, 7]
