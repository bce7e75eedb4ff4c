"""One capped HTTP GET for the domains that read a JSON (or text) status endpoint.

The body is read up to `max_bytes` (counted after decompression) and a longer one is
refused, so a runaway endpoint cannot fill the exporter's memory; the whole exchange is
bounded by `timeout` seconds. Failures are CollectErrors with the runtime's reasons
(`timeout`, `connection`, `parse`); the caller decides which statuses are answers.
"""
from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp

from .collector import CollectError


async def get_capped(session: aiohttp.ClientSession, url: str, timeout: float, max_bytes: int,
                     what: str = "") -> tuple[int, bytes]:
    """(HTTP status, body) of GET `url`; redirects are not followed (they would carry credentials)."""
    what = what or url
    try:
        async with asyncio.timeout(max(timeout, 0.001)):
            async with session.get(url, allow_redirects=False) as resp:
                chunks, total = [], 0
                while total <= max_bytes:
                    chunk = await resp.content.read(max_bytes + 1 - total)
                    if not chunk:
                        break
                    chunks.append(chunk)
                    total += len(chunk)
                status = resp.status
    except TimeoutError:
        raise CollectError("timeout", f"{what} did not answer within {timeout:.2f}s") from None
    except aiohttp.ClientError as exc:
        raise CollectError("connection", f"{what} unreachable: {exc}") from None
    if total > max_bytes:
        raise CollectError("parse", f"{what}: answer larger than {max_bytes} bytes")
    return status, b"".join(chunks)


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
