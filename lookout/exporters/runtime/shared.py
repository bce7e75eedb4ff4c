"""One call shared by the collectors of one collection.

Why: a backend that counts the requests it receives (TBURN), or whose answer is expensive
(PM2's 1.2 MB process list), must be asked once per scrape however many collectors read the
answer. The collectors of one collection share its `Deadline` object, which is the key here.
"""
from __future__ import annotations

import threading
from typing import Any, Callable, Hashable

from .collector import CollectError


class SharedCall:
    """`get(key, fn, timeout)`: the first caller with a new key runs `fn()` on its own thread;
    callers with the same key wait (at most `timeout` seconds, then CollectError("timeout"))
    and get its result or its exception. Only the newest key is kept: a call of an older
    collection that comes back late is handed to nobody new, and never to a newer collection.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._key: Hashable = None
        self._entry: _Entry | None = None

    def get(self, key: Hashable, fn: Callable[[], Any], timeout: float) -> Any:
        with self._lock:
            entry = self._entry
            mine = entry is None or self._key != key
            if mine:
                entry = self._entry = _Entry()
                self._key = key
        if mine:
            try:
                entry.result = fn()
            except BaseException as exc:  # handed to every caller of this key
                entry.error = exc
            entry.done.set()
        elif not entry.done.wait(max(timeout, 0.0)):
            raise CollectError("timeout", f"the shared call did not answer within {timeout:.2f}s")
        if entry.error is not None:
            raise entry.error
        return entry.result


class _Entry:
    __slots__ = ("done", "result", "error")

    def __init__(self):
        self.done = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None
