"""One call shared by the collectors of one collection.

Why: a backend that counts the requests it receives (TBURN), or whose answer is expensive
(PM2's 1.2 MB process list), must be asked once per scrape however many collectors read the
answer. The collectors of one collection share its `Deadline` object, which is the key here.
"""
from __future__ import annotations

import threading
import time

from .collector import CollectError
from .deadline import Deadline

TYPE_CHECKING = False  # typing's own flag, without importing typing (issue 24: start-up)
if TYPE_CHECKING:
    from typing import Any, Callable

# Keys remembered at once: collections overlap (a short scrape while a long one still runs),
# and a late collector of the older one must still find its own call, not start another.
_KEEP = 4
# A collection's answer is dropped this long after its deadline: every run of it has been given
# up on by then (the scrape waits at most 0.1 s past its deadline), and an answer kept longer is
# memory held for nobody (PM2's process list, a TBURN body of up to max_body_bytes).
_AFTER_DEADLINE = 1.0


class SharedCall:
    """`get(key, fn, timeout)`: the first caller with a new key runs `fn()` on its own thread
    (its own timeouts bound it); callers with the same key wait for it, at most `timeout`
    seconds (then CollectError("timeout")), and get its result or raise its exception.

    Calls are never shared across keys: a call of an older collection that comes back late is
    handed to its own collection's callers only. The newest `_KEEP` keys are remembered, each
    until `_AFTER_DEADLINE` seconds past its deadline; a caller with a key no longer remembered
    runs `fn()` again.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._entries: dict[Deadline, _Entry] = {}  # oldest first

    def get(self, key: Deadline, fn: Callable[[], Any], timeout: float) -> Any:
        with self._lock:
            over = time.monotonic() - _AFTER_DEADLINE
            for old in [k for k in self._entries if k.at < over]:
                del self._entries[old]
            entry = self._entries.get(key)
            mine = entry is None
            if mine:
                entry = self._entries[key] = _Entry()
                if len(self._entries) > _KEEP:
                    del self._entries[next(iter(self._entries))]
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
