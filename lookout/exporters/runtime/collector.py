"""The one interface every domain collector implements."""
from __future__ import annotations

import asyncio
import json

from .deadline import Deadline
from .metrics import MetricSet


class CollectError(Exception):
    """A failure with a bounded `reason` label value (connection, timeout, query, parse, ...)."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


class Collector:
    """A named source of metrics.

    `critical` collectors decide `<ns>_up`: the exporter is "up" when every critical
    collector succeeded in the last collection. The others only report their own
    `<ns>_collector_success`.
    """

    name: str = ""
    critical: bool = False

    async def collect(self, out: MetricSet, deadline: Deadline) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        """Release connections; called once at shutdown."""


def reason_of(exc: BaseException) -> str:
    if isinstance(exc, CollectError):
        return exc.reason
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return "timeout"
    if isinstance(exc, (ConnectionError, OSError)):
        return "connection"
    if isinstance(exc, (json.JSONDecodeError, ValueError, KeyError, TypeError)):
        return "parse"
    return "error"
