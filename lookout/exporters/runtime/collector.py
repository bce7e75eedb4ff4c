"""The one interface every domain collector implements."""
from __future__ import annotations

TYPE_CHECKING = False  # typing's own flag, without importing typing (issue 24: start-up)
if TYPE_CHECKING:
    from typing import Iterable

from .deadline import Deadline
from .metrics import Descriptor, LabelError, MetricSet


class CollectError(Exception):
    """A failure with a bounded `reason` label value (connection, timeout, query, parse, ...)."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


class Collector:
    """A named source of metrics.

    `collect` is a plain (blocking) method: the runtime calls it on a thread of its own, one
    per collector per collection, so a collector blocked on its backend never holds up another
    collector. Every blocking call in it carries a timeout from `deadline.remaining()` (socket
    timeouts, lock acquires): at the deadline the runtime gives up on a run that has not
    returned, reports it as failed with reason `timeout`, and leaves its thread to come back on
    its own; what it returns later is ignored. Runs of one collector may overlap (a collection
    under a short deadline while a longer one is still going), so state shared between runs
    (idle connections, a log file's position) is guarded by a lock.

    `critical` collectors are reachability probes: `<ns>_up` is 1 when every critical collector
    answered within the scrape's deadline. A probe asks the backend something trivial (a ping,
    `/health`); a slow or failing data query is its own collector's failure, never "down".

    `metrics` declares every descriptor the collector emits (listed in docs/metrics.md).
    `reasons` adds failure reasons beyond the runtime's known ones, so they start at 0.
    `field_names()` names the configured fields it reads; each starts at 0 in
    `lookout_collector_fields_missing_total`, which `out.field_missing(name)` increments.
    What the collector wrote before `out.commit()` survives its later failure.
    """

    name: str = ""
    critical: bool = False
    metrics: tuple[Descriptor, ...] = ()
    reasons: tuple[str, ...] = ()

    def collect(self, out: MetricSet, deadline: Deadline) -> None:
        raise NotImplementedError

    def field_names(self) -> Iterable[str]:
        return ()

    def close(self) -> None:
        """Release connections; called once at shutdown, on the main thread."""


def reason_of(exc: BaseException) -> str:
    if isinstance(exc, CollectError):
        return exc.reason
    if isinstance(exc, LabelError):  # a programming error, not a bad answer
        return "error"
    if isinstance(exc, TimeoutError):  # socket.timeout and concurrent.futures.TimeoutError are TimeoutError
        return "timeout"
    if isinstance(exc, (ConnectionError, OSError)):
        return "connection"
    if isinstance(exc, (ValueError, KeyError, TypeError)):  # json.JSONDecodeError is a ValueError
        return "parse"
    return "error"
