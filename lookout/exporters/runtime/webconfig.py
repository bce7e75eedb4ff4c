"""TLS and basic auth for the exporter's own endpoints, in exporter-toolkit's web-config.yml format.

    tls_server_config:
      cert_file: server.crt
      key_file: server.key
      client_auth_type: RequireAndVerifyClientCert   # optional
      client_ca_file: ca.crt                         # optional
      min_version: TLS12                             # optional (TLS10..TLS13; default TLS12)
      max_version: TLS13                             # optional
      cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]   # optional, Go's names; TLS 1.0-1.2 only
      curve_preferences: [X25519]                    # optional, Go's names; one curve (Python's ssl)
      prefer_server_cipher_suites: true              # optional
    basic_auth_users:
      prometheus: $2y$10$...                         # bcrypt hash

Every key is applied or refused (ConfigError naming it, exit 2 at start): Python's ssl cannot
restrict TLS 1.3 cipher suites, so a TLS 1.3 suite in `cipher_suites` is refused, and it can set
one curve only, so `curve_preferences` with several is refused. Go's own rule applies to
`cipher_suites`: it restricts TLS 1.0-1.2; TLS 1.3 keeps its (all secure) suites unless
`max_version` is TLS12.

Like exporter-toolkit, the file is re-read for each new connection when it (or a certificate,
key or CA file it names) changed: a renewed certificate or a new scrape user applies without a
restart. A file that no longer loads leaves the last good configuration in force, logs the
error and sets `lookout_web_config_last_reload_successful` to 0 (WebConfigSource).
"""
from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from lookout.records import record, field
TYPE_CHECKING = False  # typing's own flag, without importing typing (issue 24: start-up)

from .config import ConfigError, read_yaml
from .logs import get_logger
from .metrics import Gauge, MetricSet

if TYPE_CHECKING:  # ssl is imported only when TLS is configured (about 5 MB, issue 24)
    import ssl
    from typing import Any

log = get_logger("lookout.webconfig")

_VERSIONS = ("TLS10", "TLS11", "TLS12", "TLS13")
_CLIENT_AUTH = ("NoClientCert", "RequestClientCert", "RequireAnyClientCert", "VerifyClientCertIfGiven",
                "RequireAndVerifyClientCert")
# Go's crypto/tls names (tls.CipherSuites() and tls.InsecureCipherSuites()) -> OpenSSL's names,
# as `openssl ciphers -stdname` pairs them. TLS 1.3 suites and the RC4/3DES ones are refused.
GO_CIPHERS = {
    "TLS_RSA_WITH_AES_128_CBC_SHA": "AES128-SHA",
    "TLS_RSA_WITH_AES_256_CBC_SHA": "AES256-SHA",
    "TLS_RSA_WITH_AES_128_CBC_SHA256": "AES128-SHA256",
    "TLS_RSA_WITH_AES_128_GCM_SHA256": "AES128-GCM-SHA256",
    "TLS_RSA_WITH_AES_256_GCM_SHA384": "AES256-GCM-SHA384",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA": "ECDHE-ECDSA-AES128-SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA": "ECDHE-ECDSA-AES256-SHA",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA": "ECDHE-RSA-AES128-SHA",
    "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA": "ECDHE-RSA-AES256-SHA",
    "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256": "ECDHE-ECDSA-AES128-SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256": "ECDHE-RSA-AES128-SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256": "ECDHE-RSA-AES128-GCM-SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256": "ECDHE-ECDSA-AES128-GCM-SHA256",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384": "ECDHE-RSA-AES256-GCM-SHA384",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384": "ECDHE-ECDSA-AES256-GCM-SHA384",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256": "ECDHE-RSA-CHACHA20-POLY1305",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256": "ECDHE-ECDSA-CHACHA20-POLY1305",
}
_GO_TLS13 = ("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256")
_GO_UNAVAILABLE = ("TLS_RSA_WITH_RC4_128_SHA", "TLS_RSA_WITH_3DES_EDE_CBC_SHA", "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA",
                   "TLS_ECDHE_RSA_WITH_RC4_128_SHA", "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA")
# Go's tls.CurveID names -> OpenSSL's group names.
GO_CURVES = {"CurveP256": "prime256v1", "CurveP384": "secp384r1", "CurveP521": "secp521r1", "X25519": "X25519"}
_TLS_KEYS = {"cert_file", "key_file", "client_auth_type", "client_ca_file", "min_version",
             "max_version", "cipher_suites", "curve_preferences", "prefer_server_cipher_suites"}


# bcrypt checks running or waiting at once; past that a request is refused at once (401)
# instead of queueing: a flood of wrong passwords cannot delay anyone behind it. One client
# address may hold only a few of those places, so a flood from one address cannot refuse
# another client's first (uncached) login either.
_CHECK_THREADS = 2
_MAX_PENDING_CHECKS = 16
_MAX_PENDING_PER_CLIENT = 2
_CHECK_WAIT_SECONDS = 5.0  # a check that cannot start within this is refused
_CACHE_SIZE = 256
# Threads a caller that runs `authorized` on a pool of its own needs (the remediation receiver's
# aiohttp loop): every check let in may wait on one, and a cached login still finds one free.
CALLER_THREADS = _MAX_PENDING_CHECKS + 4


@record
class WebConfig:
    """TLS and basic auth, checked the way exporter-toolkit does.

    bcrypt is deliberately slow (~50 ms at cost 10), so: at most _CHECK_THREADS checks run at
    once (on the request threads asking, bcrypt releases the GIL); good credentials are cached
    (a hit never waits for a check); at most _MAX_PENDING_CHECKS checks run or wait,
    _MAX_PENDING_PER_CLIENT of them from one client address, and past that a request is
    refused at once; and an unknown user is checked against a dummy hash of the same cost, so
    the answer takes as long as for a known user and user names cannot be probed by timing.
    Thread-safe.
    """

    ssl_context: "ssl.SSLContext | None" = None
    users: dict[str, bytes] = field(default_factory=dict)
    _good: OrderedDict = field(default_factory=OrderedDict)
    _dummy: bytes = b""
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _running: threading.BoundedSemaphore = field(default_factory=lambda: threading.BoundedSemaphore(_CHECK_THREADS))
    _pending: int = 0
    _pending_by_client: dict[str, int] = field(default_factory=dict)

    def __post_init__(self):
        if self.users and not self._dummy:
            # Only with basic-auth users: bcrypt, and secrets and hashlib, which load OpenSSL's
            # libcrypto (about 3.5 MB on memory-starved hosts).
            import secrets

            import bcrypt
            cost = max(_cost(h) for h in self.users.values())
            self._dummy = bcrypt.hashpw(secrets.token_bytes(16), bcrypt.gensalt(cost))

    def authorized(self, header: str | None, client: str | None = None) -> bool:
        """Whether the Authorization header carries a configured user's password; blocks for a
        bcrypt check (tens of ms, at most _CHECK_WAIT_SECONDS waiting for a turn).

        `client` is the peer's address: the unit of fairness
        between clients waiting for a bcrypt check.
        """
        if not self.users:
            return True
        if not header or not header.startswith("Basic "):
            return False
        import base64  # only with basic-auth users (binascii, struct)

        try:
            user, _, password = base64.b64decode(header[6:], validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        import hashlib  # loaded already by __post_init__'s imports; users are configured here

        hashed = self.users.get(user)
        known = hashed is not None
        hashed = hashed if known else self._dummy
        token = hashlib.sha256(f"{user}\0{password}\0".encode() + hashed).digest()
        client = client or ""
        with self._lock:
            if known and token in self._good:
                self._good.move_to_end(token)
                return True
            held = self._pending_by_client.get(client, 0)
            if self._pending >= _MAX_PENDING_CHECKS or held >= _MAX_PENDING_PER_CLIENT:
                return False
            self._pending += 1
            self._pending_by_client[client] = held + 1
        try:
            ok = False
            if self._running.acquire(timeout=_CHECK_WAIT_SECONDS):  # else: saturated or slow, refuse
                try:
                    ok = _check(password.encode(), hashed)
                finally:
                    self._running.release()
        finally:
            with self._lock:
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
    """The web-config at `path` (none: no TLS, no users). Raises ConfigError naming the key."""
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


def files_named(path: str) -> list[str]:
    """The web-config file and the certificate, key and CA files it names (for change checks)."""
    try:
        tls = (read_yaml(path) or {}).get("tls_server_config") or {}
    except (ConfigError, AttributeError):
        return [path]
    if not isinstance(tls, dict):
        return [path]
    return [path, *(str(tls[k]) for k in ("cert_file", "key_file", "client_ca_file") if tls.get(k))]


def _ssl_context(tls: dict, where: str) -> "ssl.SSLContext":
    from .lazyssl import load

    ssl = load()

    if not isinstance(tls, dict):
        raise ConfigError(where, "expected a mapping")
    for key in tls:
        if key not in _TLS_KEYS:
            raise ConfigError(f"{where}.{key}", "unknown key")
    for key in ("cert_file", "key_file"):
        if not tls.get(key):
            raise ConfigError(f"{where}.{key}", "required when TLS is configured")
        if not os.path.isfile(str(tls[key])):  # str: an int would be taken for a file descriptor
            raise ConfigError(f"{where}.{key}", f"no such file: {tls[key]}")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        ctx.load_cert_chain(tls["cert_file"], tls["key_file"])
    except (ssl.SSLError, OSError) as exc:
        raise ConfigError(f"{where}.cert_file", f"cannot load certificate and key: {exc}") from None
    versions = {"TLS10": ssl.TLSVersion.TLSv1, "TLS11": ssl.TLSVersion.TLSv1_1,
                "TLS12": ssl.TLSVersion.TLSv1_2, "TLS13": ssl.TLSVersion.TLSv1_3}
    for key, attr in (("min_version", "minimum_version"), ("max_version", "maximum_version")):
        if tls.get(key):
            if tls[key] not in versions:
                raise ConfigError(f"{where}.{key}", f"must be one of {', '.join(_VERSIONS)}")
            setattr(ctx, attr, versions[tls[key]])
    if not tls.get("min_version"):
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if ctx.maximum_version != ssl.TLSVersion.MAXIMUM_SUPPORTED and ctx.maximum_version < ctx.minimum_version:
        raise ConfigError(f"{where}.max_version", "is below min_version")
    _apply_policy(ctx, tls, where)
    auth = tls.get("client_auth_type") or "NoClientCert"
    if auth not in _CLIENT_AUTH:
        raise ConfigError(f"{where}.client_auth_type", f"must be one of {', '.join(_CLIENT_AUTH)}")
    ctx.verify_mode = {"NoClientCert": ssl.CERT_NONE, "RequestClientCert": ssl.CERT_OPTIONAL,
                       "RequireAnyClientCert": ssl.CERT_REQUIRED, "VerifyClientCertIfGiven": ssl.CERT_OPTIONAL,
                       "RequireAndVerifyClientCert": ssl.CERT_REQUIRED}[auth]
    if tls.get("client_ca_file"):
        try:
            ctx.load_verify_locations(tls["client_ca_file"])
        except (ssl.SSLError, OSError) as exc:
            raise ConfigError(f"{where}.client_ca_file", f"cannot load: {exc}") from None
    elif auth in ("VerifyClientCertIfGiven", "RequireAndVerifyClientCert"):
        raise ConfigError(f"{where}.client_ca_file", f"required with client_auth_type {auth}")
    return ctx


def _apply_policy(ctx: "ssl.SSLContext", tls: dict, where: str) -> None:
    """cipher_suites, curve_preferences and prefer_server_cipher_suites onto `ctx`, or ConfigError."""
    import ssl

    suites = tls.get("cipher_suites")
    if suites is not None:
        key = f"{where}.cipher_suites"
        if not isinstance(suites, list) or not suites or not all(isinstance(s, str) for s in suites):
            raise ConfigError(key, "expected a non-empty list of Go cipher suite names")
        for name in suites:
            if name in _GO_TLS13:
                raise ConfigError(key, f"{name} is a TLS 1.3 suite: Python's ssl cannot restrict TLS 1.3 "
                                       "suites (Go ignores them too); remove it")
            if name in _GO_UNAVAILABLE:
                raise ConfigError(key, f"{name} is not offered by this OpenSSL")
            if name not in GO_CIPHERS:
                raise ConfigError(key, f"unknown cipher suite {name!r} (Go's names, e.g. "
                                       "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)")
        try:
            ctx.set_ciphers(":".join(GO_CIPHERS[n] for n in suites))
        except ssl.SSLError as exc:
            raise ConfigError(key, f"cannot apply: {exc}") from None
    curves = tls.get("curve_preferences")
    if curves is not None:
        key = f"{where}.curve_preferences"
        if not isinstance(curves, list) or not curves:
            raise ConfigError(key, "expected a list of Go curve names")
        for name in curves:
            if name not in GO_CURVES:
                raise ConfigError(key, f"unknown curve {name!r}: one of {', '.join(GO_CURVES)}")
        if len(curves) > 1:
            raise ConfigError(key, "Python's ssl can restrict key exchange to one curve only; give one")
        try:
            ctx.set_ecdh_curve(GO_CURVES[curves[0]])
        except (ValueError, ssl.SSLError) as exc:
            raise ConfigError(key, f"cannot apply: {exc}") from None
    prefer = tls.get("prefer_server_cipher_suites")
    if prefer is not None:
        if not isinstance(prefer, bool):
            raise ConfigError(f"{where}.prefer_server_cipher_suites", "expected true or false")
        if prefer:
            ctx.options |= ssl.OP_CIPHER_SERVER_PREFERENCE
        else:
            ctx.options &= ~ssl.OP_CIPHER_SERVER_PREFERENCE


RELOAD_OK = Gauge("lookout_web_config_last_reload_successful",
                  "1 when the last load of web.config_file succeeded; 0 while a changed file that does "
                  "not load is ignored and the previous configuration stays in force.", shared=True)
RELOAD_TIME = Gauge("lookout_web_config_last_reload_success_timestamp_seconds",
                    "When web.config_file was last loaded successfully (Unix time).", shared=True)


class WebConfigSource:
    """The web-config in force, re-read when its files change (checked with stat() on each new
    connection, as exporter-toolkit re-reads it per connection) or on SIGHUP.

    A new file that does not load is logged (the key and the reason, never its values) and the
    previous configuration stays; `metrics(out)` writes RELOAD_OK and RELOAD_TIME when a file is
    configured.
    """

    def __init__(self, path: str | None, initial: WebConfig | None = None):
        self.path = path or ""
        self.current = initial if initial is not None else load_web_config(self.path)
        self.ok = True
        self.loaded_at = time.time()
        self._files = files_named(self.path) if self.path else []
        self._stamp = self._signature()

    def __call__(self) -> WebConfig:
        if self.path and self._signature() != self._stamp:
            self.reload()
        return self.current

    def reload(self) -> None:
        if not self.path:
            return
        self._files = files_named(self.path)
        self._stamp = self._signature()
        try:
            new = load_web_config(self.path)
        except ConfigError as exc:
            self.ok = False
            log.error("web config not reloaded, keeping the previous one",
                      extra={"fields": {"file": self.path, "err": str(exc)}})
            return
        self.current, self.ok, self.loaded_at = new, True, time.time()
        log.info("web config reloaded", extra={"fields": {"file": self.path, "tls": new.ssl_context is not None,
                                                          "users": len(new.users)}})

    def metrics(self, out: MetricSet) -> None:
        if self.path:
            out.add(RELOAD_OK, 1 if self.ok else 0)
            out.add(RELOAD_TIME, self.loaded_at)

    def _signature(self) -> tuple:
        sig: list[Any] = []
        for name in self._files:
            try:
                st = os.stat(name)
                sig.append((name, st.st_ino, st.st_size, st.st_mtime_ns))
            except OSError:
                sig.append((name, None))
        return tuple(sig)
