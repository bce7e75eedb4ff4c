"""secrets.redact and remember skip a pattern when the text lacks what it needs (start-up and
every log line, issue 24): the answer must be what the patterns applied to everything give."""
from __future__ import annotations

import re

from hypothesis import given, settings, strategies as st

from lookout.exporters.runtime import secrets


def reference_redact(text: str) -> str:
    text = re.sub(secrets._DSN_USERINFO, lambda m: f"{m['scheme']}{m['user']}:{secrets.MASK}@", text)
    return re.sub(secrets._KV_PASSWORD, lambda m: f"{m[1]}{m[2]}{m[3]}{secrets.MASK}", text)


def reference_parts(value: str) -> set[str]:
    parts = {m["pw"] for m in re.finditer(secrets._DSN_USERINFO, value)}
    parts |= {m[4] for m in re.finditer(secrets._KV_PASSWORD, value)}
    m = re.match(secrets._AUTH_SCHEME, value)
    if m:
        parts.add(m[1])
    if re.match(secrets._COOKIE, value):
        parts.update(pair.split("=", 1)[1].strip() for pair in value.split(";") if "=" in pair)
    return parts | {secrets.unquote(p) for p in parts}


_PIECES = st.sampled_from(["password", "PassWd", "PWD", "Token", "sEcReT", "ſecret", "passwoRd", "=", ":", " ", "'",
                           "@", "://", "postgres", "u", "p%40ss", ";", "Bearer ", "a=b", "\u212a", "x", "é", "\n"])
TEXT = st.lists(_PIECES, max_size=12).map("".join)


@settings(max_examples=3000, deadline=None)
@given(text=TEXT)
def test_redact_is_the_patterns_applied_to_everything(text):
    with secrets._lock:
        known = set(secrets._known)
        secrets._known.clear()
    try:
        assert secrets.redact(text) == reference_redact(text)
    finally:
        with secrets._lock:
            secrets._known.update(known)


@settings(max_examples=3000, deadline=None)
@given(value=TEXT)
def test_secret_parts_are_the_patterns_applied_to_everything(value):
    assert secrets._secret_parts(value) == reference_parts(value)
