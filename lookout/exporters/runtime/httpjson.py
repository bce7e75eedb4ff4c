"""One capped HTTP GET for the domains that read a JSON (or text) status endpoint.

The body is read up to `max_bytes` (counted after decompression) and a longer one is
refused, so a runaway endpoint cannot fill the exporter's memory; the whole exchange is
bounded by `timeout` seconds (blocking: called from a collector's thread). Failures are
CollectErrors with the runtime's reasons (`timeout`, `connection`, `parse`); the caller
decides which statuses are answers.
"""
from __future__ import annotations

import json
from typing import Any
from lookout.netutil import urlsplit

from .collector import CollectError
from .httpclient import HttpClient, HttpError


def client_for(url: str, headers: dict[str, str] | None = None, limit: int = 1) -> HttpClient:
    """A kept-alive client for the origin of `url` (http or https); get_capped sends whole paths."""
    parts = urlsplit(url)
    return HttpClient(f"{parts.scheme}://{parts.netloc}", {"Accept": "application/json", **(headers or {})},
                      limit=limit)


def target_of(url: str) -> str:
    """The path and query of `url`, as sent in the request line."""
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def get_capped(client: HttpClient, url: str, timeout: float, max_bytes: int,
                     what: str = "") -> tuple[int, bytes]:
    """(HTTP status, body) of GET `url` (on `client`'s origin); redirects are not followed
    (they would carry credentials)."""
    what = what or url
    try:
        answer = client.get(target_of(url), timeout, max_bytes)
    except HttpError as exc:
        if exc.kind == "timeout":
            raise CollectError("timeout", f"{what} did not answer within {timeout:.2f}s") from None
        if exc.kind == "too_large":
            raise CollectError("parse", f"{what}: answer larger than {max_bytes} bytes") from None
        if exc.kind == "payload":
            raise CollectError("parse", f"{what}: {exc}") from None
        raise CollectError("connection", f"{what} unreachable: {exc}") from None
    return answer.status, answer.body


def json_object(body: bytes, what: str) -> dict[str, Any]:
    """The body as a JSON object, or a `parse` CollectError saying why not."""
    try:
        doc = json.loads(body)
    except RecursionError:
        raise CollectError("parse", f"{what}: JSON nested too deeply") from None
    except ValueError:
        raise CollectError("parse", f"{what}: answer is not JSON ({len(body)} bytes)") from None
    if not isinstance(doc, dict):
        raise CollectError("parse", f"{what}: answer is a JSON {type(doc).__name__}, not an object")
    return doc
