"""What an exporter watches, for its landing page: addresses, paths and names from its
configuration, never a credential (issue 25).

A generic walk over the domain's config dataclass: fields whose name says "where" (host, port,
url, database, home, socket, path...) are listed as `section.key: value`; URLs and DSNs lose
their user information and query string (a token may ride in either), key=value DSNs keep only
host, port and dbname, and everything passes through `redact` as a last guard.
"""
from __future__ import annotations

from lookout import records
import re

from .secrets import Secret, redact

_WHERE = {"host", "port", "database", "dsn", "url", "base_url", "stats_url", "home", "rpc_socket", "path",
          "paths", "unified_errors_path", "pidfile", "containers", "process_name", "name"}
# Compiled at the landing page's first request (re caches them), not at start-up (issue 24).
_URL = r"^(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?:[^@/?#]*@)?(?P<rest>[^?#]*)"
_KV = r"\b(host|hostaddr|port|dbname)\s*=\s*('[^']*'|\S+)"


def watched(config, prefix: str = "") -> list[str]:
    """`section.key: value` lines for the places `config` (a dataclass) points the exporter at."""
    out: list[str] = []
    if not records.is_record(config):
        return out
    for f in records.fields(config):
        value = getattr(config, f.name)
        key = f"{prefix}{f.name}"
        if records.is_record(value):
            out.extend(watched(value, key + "."))
        elif isinstance(value, list) and value and records.is_record(value[0]):
            for i, item in enumerate(value):
                out.extend(watched(item, f"{key}[{i}]."))
        elif f.name in _WHERE and value not in (None, "", [], 0) and not isinstance(value, bool):
            shown = where(value.reveal() if isinstance(value, Secret) else value)
            if shown:
                out.append(f"{key}: {shown}")
    return out


def where(value) -> str:
    """A value as the landing page shows it: without credentials."""
    if isinstance(value, (list, tuple)):
        return ", ".join(where(v) for v in value)
    text = str(value)
    m = re.match(_URL, text)
    if m:
        return redact(m["scheme"] + m["rest"])
    if "=" in text:  # a key=value DSN (libpq's form)
        return redact(" ".join(f"{k}={v}" for k, v in re.findall(_KV, text)))
    return redact(text)
