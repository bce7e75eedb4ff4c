"""A postgresql:// URI read as libpq reads it (the parts pgwire.py uses), apart from the client
so that the configuration can check it without importing the client's hashes."""
from __future__ import annotations

import os

# urllib.parse's results without importing it (and ipaddress) at start-up (issue 24).
from lookout.netutil import parse_qsl, unquote, urlsplit

SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
_CLIENT_KEYS = {"host", "port", "user", "password", "dbname", "sslmode", "sslrootcert", "sslcert", "sslkey",
                "connect_timeout", "target_session_attrs"}


class Params:
    """What a postgresql:// URI says, libpq's way: host (a directory for a Unix socket), port,
    user, password, database, sslmode and its files; other query keys go to the server as
    settings (`options` too). Raises ValueError naming the key, never the value of a secret."""

    def __init__(self, dsn: str, password: str = "", settings: dict[str, str] | None = None):
        parts = urlsplit(userinfo_escaped(dsn))
        if parts.scheme not in ("postgres", "postgresql"):
            raise ValueError("not a postgresql:// URI")
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        netloc = parts.netloc.rpartition("@")[2]
        if "," in netloc:
            raise ValueError("several hosts are not supported")
        self.host = query.get("host") or unquote(parts.hostname or "") or os.environ.get("PGHOST", "") or "localhost"
        port = query.get("port") or (str(parts.port) if parts.port else "") or os.environ.get("PGPORT", "") or "5432"
        if not port.isdigit():
            raise ValueError("port is not a number")
        self.port = int(port)
        self.user = query.get("user") or unquote(parts.username or "") or os.environ.get("PGUSER", "") or _os_user()
        self.password = (password or query.get("password") or unquote(parts.password or "")
                         or os.environ.get("PGPASSWORD", ""))
        self.database = query.get("dbname") or unquote(parts.path.lstrip("/")) or os.environ.get("PGDATABASE", "") \
            or self.user
        self.sslmode = query.get("sslmode") or os.environ.get("PGSSLMODE", "") or "prefer"
        if self.sslmode not in SSLMODES:
            raise ValueError(f"sslmode must be one of {', '.join(SSLMODES)}")
        self.sslrootcert, self.sslcert, self.sslkey = (query.get(k, "") for k in ("sslrootcert", "sslcert", "sslkey"))
        self.settings = {k: v for k, v in query.items() if k not in _CLIENT_KEYS}
        self.settings.update(settings or {})

    @property
    def unix(self) -> bool:
        return self.host.startswith("/")

    def tls_required(self) -> bool:
        return self.sslmode in ("require", "verify-ca", "verify-full")


def userinfo_escaped(dsn: str) -> str:
    """`dsn` with `#`, `?`, `[` and `]` percent-escaped in its user and password.

    libpq's URI parser (fe-connect.c, conninfo_uri_parse_options) takes everything before the
    first `@` that comes before any `/` as the user and password, so a password may hold `#` or
    `?` unescaped; urlsplit would start a fragment or a query there instead, and read the rest
    of the password as the host and port (which messages show)."""
    scheme, sep, rest = dsn.partition("://")
    end = next((i for i, ch in enumerate(rest) if ch in "@/"), len(rest))
    if not sep or end == len(rest) or rest[end] != "@":
        return dsn
    userinfo = rest[:end]
    for ch, escaped in (("#", "%23"), ("?", "%3F"), ("[", "%5B"), ("]", "%5D")):
        userinfo = userinfo.replace(ch, escaped)
    return f"{scheme}://{userinfo}{rest[end:]}"


def _os_user() -> str:
    import pwd
    return pwd.getpwuid(os.getuid()).pw_name
