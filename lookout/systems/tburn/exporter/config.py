"""TBURN exporter settings (docs/exporters/tburn.md has the commented reference)."""
from __future__ import annotations

from lookout.records import record, field, fields
from typing import Optional

from lookout.netutil import urlsplit

from lookout.exporters.runtime import ConfigError, Secret
from lookout.exporters.runtime.config import positive

from .endpoints import BY_NAME


@record
class EndpointConfig:
    path: Optional[str] = None               # URL path; None keeps the documented default
    timeout_seconds: Optional[float] = None  # None: the exporter-wide timeout_seconds
    enabled: Optional[bool] = None           # None: the endpoint's default (db_pool is off)
    fields: dict[str, str] = field(default_factory=dict)    # field key -> JSON path
    scales: dict[str, float] = field(default_factory=dict)  # field key -> multiplier to base units

    def is_enabled(self, name: str) -> bool:
        return BY_NAME[name].enabled if self.enabled is None else self.enabled

    def check(self, path: str, name: str) -> None:
        if self.path is not None and not self.path.startswith("/"):
            raise ConfigError(f"{path}.path", f"must start with '/', got {self.path!r}")
        if self.timeout_seconds is not None:
            positive(f"{path}.timeout_seconds", self.timeout_seconds)
        kinds = {f.key: f.kind for f in BY_NAME[name].fields}
        for section in ("fields", "scales"):
            for key in getattr(self, section):
                if key not in kinds:
                    hint = f"known: {', '.join(sorted(kinds))}" if kinds else "this endpoint has no fields"
                    raise ConfigError(f"{path}.{section}.{key}", f"unknown field ({hint})")
        for key, scale in self.scales.items():
            if kinds[key] not in ("gauge", "counter"):
                raise ConfigError(f"{path}.scales.{key}", f"a {kinds[key]} field takes no scale")
            positive(f"{path}.scales.{key}", scale)


@record
class EndpointsConfig:
    health: EndpointConfig = field(default_factory=EndpointConfig)
    system_health: EndpointConfig = field(default_factory=EndpointConfig)
    memory_guardian: EndpointConfig = field(default_factory=EndpointConfig)
    memory_governor: EndpointConfig = field(default_factory=EndpointConfig)
    request_shedder: EndpointConfig = field(default_factory=EndpointConfig)
    circuit_breakers: EndpointConfig = field(default_factory=EndpointConfig)
    db_pool: EndpointConfig = field(default_factory=EndpointConfig)
    pipeline: EndpointConfig = field(default_factory=EndpointConfig)
    shards: EndpointConfig = field(default_factory=EndpointConfig)

    def validate(self, path: str) -> None:
        for f in fields(self):
            getattr(self, f.name).check(f"{path}.{f.name}", f.name)
        if self.health.enabled is False:
            raise ConfigError(f"{path}.health.enabled", "cannot be false: /health decides tburn_up")


@record
class AuthConfig:
    """Credentials for TBURN's non-public routes (server/routes.ts answers 401 without them).

    TBURN's own login sets an express-session cookie, so `cookie` (e.g. "connect.sid=s%3A...")
    is what a stock build accepts; a bearer token or header is for a proxy in front of it.
    """
    # Sent as "Authorization: Bearer <token>"; prefer bearer_token_file or TBURN_AUTH__BEARER_TOKEN_FILE.
    bearer_token: Secret = field(default_factory=Secret)
    # Sent as the Cookie header; prefer cookie_file or TBURN_AUTH__COOKIE_FILE.
    cookie: Secret = field(default_factory=Secret)
    # Any other header, e.g. X-API-Key; its value is a secret too.
    header_name: str = ""
    header_value: Secret = field(default_factory=Secret)

    def validate(self, path: str) -> None:
        if bool(self.header_name) != bool(self.header_value):
            raise ConfigError(f"{path}.header_value" if self.header_name else f"{path}.header_name",
                              "header_name and header_value go together")
        if self.header_name and not self.header_name.replace("-", "").isalnum():
            raise ConfigError(f"{path}.header_name", f"not an HTTP header name: {self.header_name!r}")
        if self.header_name.lower() == "authorization" and self.bearer_token:
            raise ConfigError(f"{path}.header_name", "Authorization is already set by bearer_token")
        if self.header_name.lower() == "cookie" and self.cookie:
            raise ConfigError(f"{path}.header_name", "Cookie is already set by cookie")


@record
class TburnConfig:
    base_url: str = "http://127.0.0.1:5000"
    # Per endpoint; always cut to what is left of the scrape deadline.
    timeout_seconds: float = 3.0
    # Endpoints fetched at once; 1 fetches them one after another.
    max_concurrency: int = 9
    # A status body larger than this fails its endpoint instead of filling memory.
    max_body_bytes: int = 1048576
    # Shards whose circuit breaker is reported at most (label cardinality); TBURN's orchestrator
    # runs at most 64 shards (SHARD_CONFIG.MAX_SHARDS), so the default loses none.
    max_breakers: int = 64
    tls_ca_file: str = ""
    tls_insecure_skip_verify: bool = False
    auth: AuthConfig = field(default_factory=AuthConfig)
    endpoints: EndpointsConfig = field(default_factory=EndpointsConfig)

    def validate(self, path: str) -> None:
        key = f"{path}.base_url" if path else "base_url"
        try:
            url = urlsplit(self.base_url)
            url.port  # noqa: B018  (raises ValueError on a bad port)
        except (ValueError, TypeError, AttributeError):
            raise ConfigError(key, "not a URL") from None
        if url.scheme not in ("http", "https") or not url.hostname:
            shown = url._replace(netloc=url.netloc.rpartition("@")[2]).geturl()  # no user or password
            raise ConfigError(key, f"expected http(s)://HOST[:PORT][/PREFIX], got {shown}")
        if url.query or url.fragment:
            raise ConfigError(key, "must not carry a query or fragment")
        positive("timeout_seconds", self.timeout_seconds)
        for name, low, high in (("max_concurrency", 1, 32), ("max_body_bytes", 1024, 64 * 1024 * 1024),
                                ("max_breakers", 1, 256)):
            value = getattr(self, name)
            if not low <= value <= high:
                raise ConfigError(name, f"must be between {low} and {high}, got {value}")
        if self.tls_ca_file and self.tls_insecure_skip_verify:
            raise ConfigError("tls_insecure_skip_verify", "contradicts tls_ca_file")
