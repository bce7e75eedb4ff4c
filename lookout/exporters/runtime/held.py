"""A lock held by one collector run at a time, waited for no longer than the run's deadline."""
from __future__ import annotations

from .collector import CollectError
from .deadline import Deadline


class held:
    """`with held(lock, deadline, busy):` holds `lock` (anything with `acquire(timeout=)` and
    `release()`: a Lock, a BoundedSemaphore) until the block ends.

    Waits at most `deadline.remaining()` seconds, then raises `CollectError("timeout", busy)`:
    the run holding it is still blocked on its backend, and this run must fail in time rather
    than queue behind it (runtime/collector.py's contract: runs of one collector may overlap)."""
    __slots__ = ("_lock", "_deadline", "_busy")

    def __init__(self, lock, deadline: Deadline, busy: str):
        self._lock, self._deadline, self._busy = lock, deadline, busy

    def __enter__(self) -> None:
        if not self._lock.acquire(timeout=self._deadline.remaining()):
            raise CollectError("timeout", self._busy)

    def __exit__(self, *exc_info) -> None:
        self._lock.release()
