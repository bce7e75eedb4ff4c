"""One pooled HTTP client for all of TBURN's endpoints, with hard limits on time and size."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from lookout.exporters.runtime import CollectError, ConfigError, Deadline
from lookout.exporters.runtime.httpclient import HttpClient, HttpError

from .config import TburnConfig

# Keeps a sliver of the scrape deadline for the runtime to render the answer.
_DEADLINE_MARGIN = 0.05


@dataclass
class Reply:
    status: int
    body: bytes
    seconds: float


class TburnClient:
    def __init__(self, cfg: TburnConfig):
        self.base = cfg.base_url
        self.max_body = cfg.max_body_bytes
        self.headers = _auth_headers(cfg)
        self.max_concurrency = cfg.max_concurrency
        # No redirects are followed: a redirect would carry the token to wherever it points.
        self._client = HttpClient(cfg.base_url, {"Accept": "application/json", **self.headers},
                                  limit=cfg.max_concurrency, tls=_ssl(cfg),
                                  verify=not cfg.tls_insecure_skip_verify)

    def url(self, path: str) -> str:
        return self.base.rstrip("/") + path

    async def get(self, path: str, timeout: float, deadline: Deadline, keep_body: bool = True) -> Reply:
        """GET `path` within min(timeout, what the deadline leaves); errors are CollectErrors.

        Without keep_body the body is read and dropped (so the connection can be reused),
        and an oversized one is not an error: only the status matters then.
        """
        budget = min(timeout, max(deadline.remaining() - _DEADLINE_MARGIN, 0.001))
        start = time.perf_counter()
        try:
            # The body is refused past max_body_bytes (counted after decompression, so a small
            # gzip bomb is refused too) or when cut short; without keep_body neither is an error.
            answer = await self._client.get(path, budget, self.max_body, strict=keep_body)
        except HttpError as exc:
            if exc.kind == "timeout":
                raise CollectError("timeout", f"GET {path}: no complete answer within {budget:.2f}s") from None
            if exc.kind == "too_large":
                raise CollectError("too_large", f"GET {path}: body exceeds max_body_bytes {self.max_body}") from None
            if exc.kind == "payload":
                raise CollectError("payload", f"GET {path}: body cut short ({_short(exc)})") from None
            if exc.kind == "http":
                raise CollectError("http", f"GET {path}: malformed HTTP answer ({_short(exc)})") from None
            raise CollectError("connection", f"GET {path}: {_short(exc)}") from None
        return Reply(answer.status, answer.body if keep_body else b"", time.perf_counter() - start)

    async def get_ok(self, path: str, timeout: float, deadline: Deadline) -> bytes:
        """The body of a 2xx answer; 401/403 fail as "auth" (TBURN's requireAuth answers 401)."""
        reply = await self.get(path, timeout, deadline)
        check_status(path, reply.status)
        return reply.body

    async def get_json(self, path: str, timeout: float, deadline: Deadline) -> Any:
        """The parsed body; TBURN's {success: false, error} envelope fails as "error"."""
        body = await self.get_ok(path, timeout, deadline)
        try:
            doc = json.loads(body)
        except RecursionError:
            raise CollectError("parse", f"GET {path}: JSON nested too deeply") from None
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError both are
            raise CollectError("parse", f"GET {path}: not JSON ({_short(exc)})") from None
        if isinstance(doc, dict) and doc.get("success") is False:
            why = doc.get("error")
            raise CollectError("error", f"GET {path}: TBURN answered success=false"
                               + (f" ({_short(why if isinstance(why, str) else json.dumps(why))})" if why else ""))
        return doc

    async def get_text(self, path: str, timeout: float, deadline: Deadline) -> str:
        body = await self.get_ok(path, timeout, deadline)
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            raise CollectError("parse", f"GET {path}: not UTF-8 text") from None

    async def close(self) -> None:
        await self._client.close()


def check_status(path: str, status: int) -> None:
    if status in (401, 403):
        raise CollectError("auth", f"GET {path}: HTTP {status}, authentication required "
                                   "(set auth.cookie_file, auth.bearer_token_file or auth.header_value_file)")
    if not 200 <= status < 300:
        raise CollectError("http", f"GET {path}: HTTP {status}")


def _short(exc: object, limit: int = 160) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= limit else text[:limit] + "…"


def _auth_headers(cfg: TburnConfig) -> dict[str, str]:
    headers = {}
    if cfg.auth.bearer_token:
        headers["Authorization"] = f"Bearer {cfg.auth.bearer_token.reveal()}"
    if cfg.auth.cookie:
        headers["Cookie"] = cfg.auth.cookie.reveal()
    if cfg.auth.header_name:
        headers[cfg.auth.header_name] = cfg.auth.header_value.reveal()
    return headers


def _ssl(cfg: TburnConfig):
    """An ssl.SSLContext trusting tls_ca_file, or None (the system's default on https)."""
    if cfg.tls_ca_file and not cfg.tls_insecure_skip_verify:
        from lookout.exporters.runtime.lazyssl import load  # ssl only when TLS is configured

        ssl = load()
        try:
            return ssl.create_default_context(cafile=cfg.tls_ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError("tls_ca_file", f"cannot load {cfg.tls_ca_file}: {exc}") from None
    return None
