"""Cooldown and attempts per window, keyed on Alertmanager's group key and the alert's
fingerprint, so a repeat notification (or a replayed one) does not act twice and a fault
that keeps coming back stops being acted on after `max_attempts` in `window_seconds`."""
from __future__ import annotations

import time
from collections import deque
from lookout.records import record, field

Key = tuple[str, str]  # (groupKey, fingerprint)


@record
class _History:
    attempts: deque = field(default_factory=deque)  # monotonic-free wall times of attempts
    exhausted: bool = False


class Ledger:
    def __init__(self, cooldown: float, max_attempts: int, window: float, clock=time.time):
        self.cooldown = cooldown
        self.max_attempts = max_attempts
        self.window = window
        self.clock = clock
        self._by_key: dict[Key, _History] = {}

    def _history(self, key: Key) -> _History:
        h = self._by_key.setdefault(key, _History())
        now = self.clock()
        while h.attempts and h.attempts[0] <= now - self.window:
            h.attempts.popleft()
        return h

    def check(self, key: Key) -> str | None:
        """None when an attempt may go ahead; otherwise "cooldown" or "exhausted"."""
        h = self._history(key)
        if h.attempts and self.clock() - h.attempts[-1] < self.cooldown:
            return "cooldown"
        if len(h.attempts) >= self.max_attempts:
            h.exhausted = True
            return "exhausted"
        h.exhausted = False
        return None

    def record(self, key: Key, at: float | None = None) -> None:
        self._history(key).attempts.append(self.clock() if at is None else at)

    def resolved(self, key: Key) -> None:
        """The fault is gone: nothing is exhausted any more (attempts still count)."""
        if key in self._by_key:
            self._by_key[key].exhausted = False

    def exhausted_keys(self) -> list[Key]:
        return [k for k, h in self._by_key.items() if h.exhausted]
