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
# The patterns are compiled (and cached by `re`) when first used: most text holds none of the
# words they need, checked first (start-up and every log line; issue 24).
# user:password@ inside a URL-style DSN, whatever the scheme.
_DSN_USERINFO = r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:/@\s]*):(?P<pw>[^@\s]*)@"
# key=value DSNs (libpq style) and driver messages such as "password=..."
_KV_PASSWORD = r"(?i)\b(password|passwd|pwd|token|secret)(\s*[=:]\s*)(['\"]?)([^\s'\",;]+)"
_KV_WORDS = ("pwd", "passwd", "password", "token", "secret")  # ASCII text without these cannot match

# The credential of an HTTP Authorization value ("Bearer abc", "Basic dXNlcjpwdw==").
_AUTH_SCHEME = r"(?i)^\s*(?:authorization\s*:\s*)?(?:bearer|basic|token|apikey)\s+(\S+)\s*$"
# A Cookie header value: name=value pairs, each value a credential ("connect.sid=s%3A...").
_COOKIE = r"^\s*[\w.\-]+=[^;\s]+(\s*;\s*[\w.\-]+=[^;\s]+)*\s*;?\s*$"


def _may_hold_dsn(text: str) -> bool:
    return "@" in text and "://" in text


def _may_hold_kv(text: str) -> bool:
    """False only where _KV_PASSWORD cannot match: ASCII text without its words in any case
    (non-ASCII text is always tried: case-insensitive matching folds letters such as U+017F)."""
    if not text.isascii():
        return True
    low = text.lower()
    return any(word in low for word in _KV_WORDS)

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
    if _may_hold_dsn(value):
        for m in re.finditer(_DSN_USERINFO, value):
            parts.add(m["pw"])
    if _may_hold_kv(value):
        for m in re.finditer(_KV_PASSWORD, value):
            parts.add(m[4])
    m = re.match(_AUTH_SCHEME, value)
    if m:
        parts.add(m[1])
    if "=" in value and re.match(_COOKIE, value):
        parts.update(pair.split("=", 1)[1].strip() for pair in value.split(";") if "=" in pair)
    return parts | {unquote(p) for p in parts}


def redact(text: str) -> str:
    if not text:
        return text
    if _may_hold_dsn(text):
        text = re.sub(_DSN_USERINFO, lambda m: f"{m['scheme']}{m['user']}:{MASK}@", text)
    if _may_hold_kv(text):
        text = re.sub(_KV_PASSWORD, lambda m: f"{m[1]}{m[2]}{m[3]}{MASK}", text)
    with _lock:
        known = sorted(_known, key=len, reverse=True)
    for value in known:
        if value in text:
            text = text.replace(value, MASK)
    return text
