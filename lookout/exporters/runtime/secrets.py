"""Secrets that cannot leak by accident.

A Secret prints as `***`, and every secret value ever loaded is remembered so that
`redact()` can scrub it from any text (log lines, error messages copied from a driver,
the landing page) even when a library echoed it back to us.
"""
from __future__ import annotations

import re
import threading
from lookout.netutil import unquote

_known: set[str] = set()
_lock = threading.Lock()
# user:password@ inside a URL-style DSN, whatever the scheme.
_DSN_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:/@\s]*):(?P<pw>[^@\s]*)@")
# key=value DSNs (libpq style) and driver messages such as "password=..."
_KV_PASSWORD = re.compile(r"(?i)\b(password|passwd|pwd|token|secret)(\s*[=:]\s*)(['\"]?)([^\s'\",;]+)")

# The credential of an HTTP Authorization value ("Bearer abc", "Basic dXNlcjpwdw==").
_AUTH_SCHEME = re.compile(r"(?i)^\s*(?:authorization\s*:\s*)?(?:bearer|basic|token|apikey)\s+(\S+)\s*$")
# A Cookie header value: name=value pairs, each value a credential ("connect.sid=s%3A...").
_COOKIE = re.compile(r"^\s*[\w.\-]+=[^;\s]+(\s*;\s*[\w.\-]+=[^;\s]+)*\s*;?\s*$")

MASK = "***"


class Secret:
    """A string that never shows its value unless asked with reveal()."""

    __slots__ = ("_value",)

    def __init__(self, value: str = ""):
        self._value = value
        if value:
            remember(value)

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret(***)" if self._value else "Secret('')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def remember(value: str) -> None:
    """Remember `value` and each secret part of it: the password inside a DSN or URL (as
    written and percent-decoded), a libpq `password=...`, the credential of an
    Authorization header value. A driver echoing only the part is redacted too."""
    for part in {value, *_secret_parts(value)}:
        # Very short values would turn redaction into noise ("a" everywhere); they are
        # still masked by the key=value and DSN patterns.
        if len(part) >= 3:
            with _lock:
                _known.add(part)


def _secret_parts(value: str) -> set[str]:
    parts: set[str] = set()
    for m in _DSN_USERINFO.finditer(value):
        parts.add(m["pw"])
    for m in _KV_PASSWORD.finditer(value):
        parts.add(m[4])
    m = _AUTH_SCHEME.match(value)
    if m:
        parts.add(m[1])
    if _COOKIE.match(value):
        parts.update(pair.split("=", 1)[1].strip() for pair in value.split(";") if "=" in pair)
    return parts | {unquote(p) for p in parts}


def redact(text: str) -> str:
    if not text:
        return text
    text = _DSN_USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", text)
    text = _KV_PASSWORD.sub(lambda m: f"{m[1]}{m[2]}{m[3]}{MASK}", text)
    with _lock:
        known = sorted(_known, key=len, reverse=True)
    for value in known:
        if value in text:
            text = text.replace(value, MASK)
    return text
