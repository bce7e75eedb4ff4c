"""The reachability probe that decides `<ns>_up`.

`<ns>_up` means "the backend answered a trivial request within the scrape deadline" (a
MySQL COM_PING, `SELECT 1`, an HTTP health check). A slow or blocked data query on a
backend that answers is that query's collector failing, with its own reason, never "down":
runbook 000's lock contention must not page as a database outage.
"""
from __future__ import annotations

TYPE_CHECKING = False  # typing's own flag, without importing typing (issue 24: start-up)
if TYPE_CHECKING:
    from typing import Callable

from .collector import Collector
from .deadline import Deadline
from .metrics import MetricSet


class Probe(Collector):
    """A critical collector that only calls `ping(deadline)` (blocking, bounded by the
    deadline); its success is `<ns>_up`.

    `ping` raises CollectError (or TimeoutError) when the backend does not answer.
    """

    critical = True

    def __init__(self, name: str, ping: Callable[[Deadline], object]):
        self.name = name
        self._ping = ping

    def collect(self, out: MetricSet, deadline: Deadline) -> None:
        self._ping(deadline)
