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
import hmac
import ssl
from dataclasses import dataclass, field
from pathlib import Path

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


@dataclass
class WebConfig:
    ssl_context: ssl.SSLContext | None = None
    users: dict[str, bytes] = field(default_factory=dict)
    # bcrypt is deliberately slow (~50 ms); exporter-toolkit caches good credentials too.
    _good: set[bytes] = field(default_factory=set)

    def authorized(self, header: str | None) -> bool:
        if not self.users:
            return True
        if not header or not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:], validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        hashed = self.users.get(user)
        if hashed is None:
            return False
        token = hashlib.sha256(f"{user}\0{password}".encode() + hashed).digest()
        if any(hmac.compare_digest(token, g) for g in self._good):
            return True
        import bcrypt  # only exporters with basic-auth users pay for it (memory-starved hosts)
        try:
            ok = bcrypt.checkpw(password.encode(), hashed)
        except ValueError:
            ok = False
        if ok:
            self._good.add(token)
        return ok


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
