"""TLS and basic auth for the exporter's own endpoints, in exporter-toolkit's web-config.yml format.

    tls_server_config:
      cert_file: server.crt
      key_file: server.key
      client_auth_type: RequireAndVerifyClientCert   # optional
      client_ca_file: ca.crt                         # optional
      min_version: TLS12                             # optional
    basic_auth_users:
      prometheus: $2y$10$...                         # bcrypt hash
"""
from __future__ import annotations

import base64
import hashlib
import secrets
import ssl
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from .blocking import BlockingPool
from .collector import CollectError
from .config import ConfigError, read_yaml

_VERSIONS = {"TLS10": ssl.TLSVersion.TLSv1, "TLS11": ssl.TLSVersion.TLSv1_1,
             "TLS12": ssl.TLSVersion.TLSv1_2, "TLS13": ssl.TLSVersion.TLSv1_3}
_CLIENT_AUTH = {
    "NoClientCert": ssl.CERT_NONE,
    "RequestClientCert": ssl.CERT_OPTIONAL,
    "RequireAnyClientCert": ssl.CERT_REQUIRED,
    "VerifyClientCertIfGiven": ssl.CERT_OPTIONAL,
    "RequireAndVerifyClientCert": ssl.CERT_REQUIRED,
}
_TLS_KEYS = {"cert_file", "key_file", "client_auth_type", "client_ca_file", "min_version",
             "max_version", "cipher_suites", "curve_preferences", "prefer_server_cipher_suites"}


# bcrypt checks running or waiting at once; past that a request is refused at once (401)
# instead of queueing: a flood of wrong passwords cannot delay anyone behind it. One client
# address may hold only a few of those places, so a flood from one address cannot refuse
# another client's first (uncached) login either.
_CHECK_THREADS = 2
_MAX_PENDING_CHECKS = 16
_MAX_PENDING_PER_CLIENT = 2
_CACHE_SIZE = 256


@dataclass
class WebConfig:
    """TLS and basic auth, checked the way exporter-toolkit does.

    bcrypt is deliberately slow (~50 ms at cost 10), so: it runs on two threads of its own,
    never on the event loop; good credentials are cached (a hit never waits for a check);
    at most _MAX_PENDING_CHECKS checks are in the queue, _MAX_PENDING_PER_CLIENT of them from
    one client address; and an unknown user is checked
    against a dummy hash of the same cost, so the answer takes as long as for a known user
    and user names cannot be probed by timing.
    """

    ssl_context: ssl.SSLContext | None = None
    users: dict[str, bytes] = field(default_factory=dict)
    _good: OrderedDict = field(default_factory=OrderedDict)
    _dummy: bytes = b""
    _pool: BlockingPool = field(default_factory=lambda: BlockingPool("bcrypt", _CHECK_THREADS, 0))
    _pending: int = 0
    _pending_by_client: dict[str, int] = field(default_factory=dict)

    def __post_init__(self):
        if self.users and not self._dummy:
            import bcrypt  # only exporters with basic-auth users pay for it (memory-starved hosts)
            cost = max(_cost(h) for h in self.users.values())
            self._dummy = bcrypt.hashpw(secrets.token_bytes(16), bcrypt.gensalt(cost))

    async def authorized(self, header: str | None, client: str | None = None) -> bool:
        """Whether the Authorization header carries a configured user's password.

        `client` is the peer's address (aiohttp's `request.remote`): the unit of fairness
        between clients waiting for a bcrypt check.
        """
        if not self.users:
            return True
        if not header or not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:], validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        hashed = self.users.get(user)
        known = hashed is not None
        hashed = hashed if known else self._dummy
        token = hashlib.sha256(f"{user}\0{password}\0".encode() + hashed).digest()
        if known and token in self._good:
            self._good.move_to_end(token)
            return True
        client = client or ""
        held = self._pending_by_client.get(client, 0)
        if self._pending >= _MAX_PENDING_CHECKS or held >= _MAX_PENDING_PER_CLIENT:
            return False
        self._pending += 1
        self._pending_by_client[client] = held + 1
        try:
            ok = await self._pool.run(_check, password.encode(), hashed, timeout=5.0)
        except CollectError:  # the check pool is saturated or slow: refuse, never wait longer
            ok = False
        finally:
            self._pending -= 1
            left = self._pending_by_client.pop(client) - 1
            if left:
                self._pending_by_client[client] = left
        if ok and known:
            self._good[token] = True
            if len(self._good) > _CACHE_SIZE:
                self._good.popitem(last=False)
        return ok and known


def _check(password: bytes, hashed: bytes) -> bool:
    import bcrypt
    try:
        return bcrypt.checkpw(password, hashed)
    except ValueError:
        return False


def _cost(hashed: bytes) -> int:
    """The cost factor of a `$2y$10$...` hash (4..31), 10 if unreadable."""
    parts = hashed.split(b"$")
    try:
        return min(max(int(parts[2]), 4), 31)
    except (IndexError, ValueError):
        return 10


def load_web_config(path: str | None) -> WebConfig:
    if not path:
        return WebConfig()
    data = read_yaml(path)
    where = "web_config"
    unknown = set(data) - {"tls_server_config", "basic_auth_users", "http_server_config"}
    if unknown:
        raise ConfigError(f"{where}.{sorted(unknown)[0]}", "unknown key")
    users = {}
    for user, hashed in (data.get("basic_auth_users") or {}).items():
        if not isinstance(hashed, str) or not hashed.startswith("$2"):
            raise ConfigError(f"{where}.basic_auth_users.{user}", "expected a bcrypt hash")
        users[str(user)] = hashed.encode()
    tls = data.get("tls_server_config")
    return WebConfig(ssl_context=_ssl_context(tls, f"{where}.tls_server_config") if tls else None, users=users)


def _ssl_context(tls: dict, where: str) -> ssl.SSLContext:
    if not isinstance(tls, dict):
        raise ConfigError(where, "expected a mapping")
    for key in tls:
        if key not in _TLS_KEYS:
            raise ConfigError(f"{where}.{key}", "unknown key")
    for key in ("cert_file", "key_file"):
        if not tls.get(key):
            raise ConfigError(f"{where}.{key}", "required when TLS is configured")
        if not Path(tls[key]).is_file():
            raise ConfigError(f"{where}.{key}", f"no such file: {tls[key]}")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        ctx.load_cert_chain(tls["cert_file"], tls["key_file"])
    except (ssl.SSLError, OSError) as exc:
        raise ConfigError(f"{where}.cert_file", f"cannot load certificate and key: {exc}") from None
    for key, attr in (("min_version", "minimum_version"), ("max_version", "maximum_version")):
        if tls.get(key):
            if tls[key] not in _VERSIONS:
                raise ConfigError(f"{where}.{key}", f"must be one of {', '.join(_VERSIONS)}")
            setattr(ctx, attr, _VERSIONS[tls[key]])
    if "min_version" not in tls:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    auth = tls.get("client_auth_type") or "NoClientCert"
    if auth not in _CLIENT_AUTH:
        raise ConfigError(f"{where}.client_auth_type", f"must be one of {', '.join(_CLIENT_AUTH)}")
    ctx.verify_mode = _CLIENT_AUTH[auth]
    if tls.get("client_ca_file"):
        try:
            ctx.load_verify_locations(tls["client_ca_file"])
        except (ssl.SSLError, OSError) as exc:
            raise ConfigError(f"{where}.client_ca_file", f"cannot load: {exc}") from None
    elif auth in ("VerifyClientCertIfGiven", "RequireAndVerifyClientCert"):
        raise ConfigError(f"{where}.client_ca_file", f"required with client_auth_type {auth}")
    return ctx
