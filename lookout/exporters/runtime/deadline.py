"""A point in time by which a scrape must have answered."""
from __future__ import annotations

import time


class Deadline:
    __slots__ = ("at",)

    def __init__(self, seconds: float, start: float | None = None):
        """`seconds` after `start` (a time.monotonic() value; None: now)."""
        self.at = (time.monotonic() if start is None else start) + max(seconds, 0.0)

    def remaining(self) -> float:
        return max(self.at - time.monotonic(), 0.0)

    def remaining_ms(self) -> int:
        """Whole milliseconds left, at least 1, for server-side statement limits."""
        return max(int(self.remaining() * 1000), 1)
