"""One pooled HTTP client for all of TBURN's endpoints, with hard limits on time and size.

Lookout must not change what TBURN reports, and TBURN counts the requests it receives
(endpoints.py says which): within one collection each route is fetched once, however many
collectors read it (they share the answer, or the failure), and a failed request is never
retried within the collection. Every request sent is counted per route and answer class
(`counts()`), which the health collector exports as tburn_lookout_requests_total.

Collectors run on threads of their own (runtime/collector.py): the sharing is a SharedCall per
(path, keep_body) keyed by the collection's Deadline, and the counts are kept under a lock.
"""
from __future__ import annotations

import json
import threading
import time
from lookout.records import record
from typing import Any

from lookout.exporters.runtime import CollectError, ConfigError, Deadline
from lookout.exporters.runtime.httpclient import HttpClient, HttpError
from lookout.exporters.runtime.shared import SharedCall

from .config import TburnConfig

# Keeps a sliver of the scrape deadline for the runtime to render the answer.
_DEADLINE_MARGIN = 0.05


@record
class Reply:
    status: int
    body: bytes
    seconds: float


class TburnClient:
    def __init__(self, cfg: TburnConfig, counted_paths: frozenset[str] = frozenset()):
        self.base = cfg.base_url
        self.max_body = cfg.max_body_bytes
        self.headers = _auth_headers(cfg)
        self.max_concurrency = cfg.max_concurrency
        # No redirects are followed: a redirect would carry the token to wherever it points.
        self._client = HttpClient(cfg.base_url, {"Accept": "application/json", **self.headers},
                                  limit=cfg.max_concurrency, tls=_ssl(cfg),
                                  verify=not cfg.tls_insecure_skip_verify)
        self.counted_paths = counted_paths
        self._lock = threading.Lock()  # guards _sent and _shared: collectors run on threads of their own
        # (path, code class) -> requests sent; code class "2xx".."5xx", or "none" (no answer).
        # Counted routes start with 2xx and 5xx at 0, so the rules' rate() sees their first request.
        self._sent: dict[tuple[str, str], int] = {(p, c): 0 for p in sorted(counted_paths) for c in ("2xx", "5xx")}
        # One shared request per (path, keep_body) and collection (its Deadline object).
        self._shared: dict[tuple[str, bool], SharedCall] = {}

    def url(self, path: str) -> str:
        return self.base.rstrip("/") + path

    def counts(self) -> list[tuple[tuple[str, str], int]]:
        """((path, code class), requests sent so far), sorted: a consistent copy."""
        with self._lock:
            return sorted(self._sent.items())

    def get(self, path: str, timeout: float, deadline: Deadline, keep_body: bool = True) -> Reply:
        """GET `path` within min(timeout, what the deadline leaves); errors are CollectErrors.

        Without keep_body the body is read and dropped (so the connection can be reused),
        and an oversized one is not an error: only the status matters then.
        Collectors of the same collection (the same `deadline`) asking for the same path get
        the one request's reply or failure; the first asker's timeout applies, and the others
        wait for it at most until the deadline (then CollectError "timeout").
        """
        key = (path, keep_body)
        with self._lock:
            call = self._shared.get(key)
            if call is None:
                call = self._shared[key] = SharedCall()
        return call.get(deadline, lambda: self._fetch(path, timeout, deadline, keep_body), deadline.remaining())

    def _fetch(self, path: str, timeout: float, deadline: Deadline, keep_body: bool) -> Reply:
        code = "none"
        try:
            reply = self._send(path, timeout, deadline, keep_body)
            code = f"{min(max(reply.status // 100, 1), 5)}xx"
            return reply
        finally:
            with self._lock:
                self._sent[(path, code)] = self._sent.get((path, code), 0) + 1

    def _send(self, path: str, timeout: float, deadline: Deadline, keep_body: bool) -> Reply:
        budget = min(timeout, max(deadline.remaining() - _DEADLINE_MARGIN, 0.001))
        start = time.perf_counter()
        try:
            # The body is refused past max_body_bytes (counted after decompression, so a small
            # gzip bomb is refused too) or when cut short; without keep_body neither is an error.
            answer = self._client.get(path, budget, self.max_body, strict=keep_body)
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

    def get_ok(self, path: str, timeout: float, deadline: Deadline) -> bytes:
        """The body of a 2xx answer; 401/403 fail as "auth" (TBURN's requireAuth answers 401).

        A non-2xx answer carrying TBURN's {success: false, error} envelope (its routes answer
        errors as 503 with it) fails as "error" with TBURN's text in the message (logs and the
        landing page, never a label), or as "not_ready" for the system-health monitor's
        "Metrics not yet available" (its first snapshot is not taken yet: readiness, not a fault).
        """
        reply = self.get(path, timeout, deadline)
        if not 200 <= reply.status < 300 and reply.status not in (401, 403):
            why = envelope_error(reply.body)
            if why is not None:
                reason = "not_ready" if why == NOT_READY else "error"
                raise CollectError(reason, f"GET {path}: HTTP {reply.status}, TBURN says: "
                                           + (_short(why) if why else "(no error text)"))
        check_status(path, reply.status)
        return reply.body

    def get_json(self, path: str, timeout: float, deadline: Deadline) -> Any:
        """The parsed body; TBURN's {success: false, error} envelope fails as "error"."""
        body = self.get_ok(path, timeout, deadline)
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

    def get_text(self, path: str, timeout: float, deadline: Deadline) -> str:
        body = self.get_ok(path, timeout, deadline)
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            raise CollectError("parse", f"GET {path}: not UTF-8 text") from None

    def close(self) -> None:
        self._client.close()


# core/monitoring/system-health-routes.ts GET /metrics before the monitor's first snapshot.
NOT_READY = "Metrics not yet available"


def envelope_error(body: bytes) -> str | None:
    """TBURN's error text from a {success: false, error: ...} body, or None if it is not one."""
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(doc, dict) or doc.get("success") is not False:
        return None
    why = doc.get("error")
    if isinstance(why, str):
        return why
    return json.dumps(why) if why is not None else ""


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
