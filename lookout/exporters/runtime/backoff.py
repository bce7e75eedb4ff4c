"""Exponential backoff with full jitter, for reconnecting to a backend without hammering it."""
from __future__ import annotations

import time


class Backoff:
    """Tracks when the next attempt is allowed; callers skip attempts until then.

    Scrapes are on demand, so instead of sleeping we refuse to retry before `ready()`;
    a scrape during the pause reports the backend as down without touching it.
    """

    def __init__(self, initial: float = 0.5, maximum: float = 30.0, factor: float = 2.0):
        self.initial, self.maximum, self.factor = initial, maximum, factor
        self.failures = 0
        self._next_at = 0.0

    def ready(self) -> bool:
        return time.monotonic() >= self._next_at

    def seconds_until_ready(self) -> float:
        return max(self._next_at - time.monotonic(), 0.0)

    def failed(self) -> float:
        self.failures += 1
        cap = min(self.maximum, self.initial * self.factor ** (self.failures - 1))
        import random  # here, not at the top: only a failing backend needs jitter (and random's seeding)
        delay = random.uniform(cap / 2, cap)
        self._next_at = time.monotonic() + delay
        return delay

    def succeeded(self) -> None:
        self.failures = 0
        self._next_at = 0.0
