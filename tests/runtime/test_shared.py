"""runtime/shared.py: one call per collection however many collectors (threads) ask for it."""
from __future__ import annotations

import threading
import time

import pytest

from lookout.exporters.runtime import CollectError, Deadline
from lookout.exporters.runtime.shared import SharedCall


def _concurrently(n: int, target) -> list:
    results = [None] * n

    def one(i):
        try:
            results[i] = target()
        except BaseException as exc:
            results[i] = exc
    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    return results


def test_one_call_for_many_concurrent_callers_with_the_same_key():
    shared, calls = SharedCall(), []
    key = Deadline(5)

    def fetch():
        calls.append(threading.get_ident())
        time.sleep(0.2)  # long enough for every other caller to arrive meanwhile
        return {"answer": 42}

    results = _concurrently(8, lambda: shared.get(key, fetch, 5))
    assert len(calls) == 1
    assert all(r == {"answer": 42} for r in results) and all(r is results[0] for r in results)


def test_every_caller_gets_the_calls_exception():
    shared, calls = SharedCall(), []

    def fails():
        calls.append(1)
        time.sleep(0.1)
        raise CollectError("connection", "refused")

    key = Deadline(5)
    results = _concurrently(4, lambda: shared.get(key, fails, 5))
    assert len(calls) == 1
    assert all(isinstance(r, CollectError) and r.reason == "connection" for r in results)


def test_a_waiting_caller_times_out_on_its_own_timeout():
    shared, release = SharedCall(), threading.Event()
    key = Deadline(5)
    first = threading.Thread(target=lambda: shared.get(key, lambda: release.wait(5), 5))
    first.start()
    time.sleep(0.05)
    t0 = time.monotonic()
    try:
        with pytest.raises(CollectError) as err:
            shared.get(key, lambda: pytest.fail("a second call"), 0.2)
        assert err.value.reason == "timeout" and 0.15 < time.monotonic() - t0 < 2.0
    finally:
        release.set()
        first.join(5)


def test_a_new_key_calls_again_and_a_late_old_key_keeps_its_own_answer():
    """Overlapping collections: each gets its own call, once, whatever the order of asking."""
    shared, calls = SharedCall(), []

    def fetch(tag):
        calls.append(tag)
        return tag

    old, new = Deadline(5), Deadline(5)
    assert shared.get(old, lambda: fetch("old"), 1) == "old"
    assert shared.get(new, lambda: fetch("new"), 1) == "new"
    assert shared.get(old, lambda: fetch("old again"), 1) == "old"  # a late collector of the older one
    assert shared.get(new, lambda: fetch("new again"), 1) == "new"
    assert calls == ["old", "new"]


def test_no_answer_is_kept_once_its_collection_is_over():
    """Found by review: the newest keys kept their answers (PM2's process list, TBURN bodies of up
    to max_body_bytes) long after their collections had answered."""
    import time

    from lookout.exporters.runtime import Deadline

    shared = SharedCall()
    for _ in range(5):
        shared.get(Deadline(0.01), lambda: bytearray(1 << 20), 1.0)
    time.sleep(1.1)
    shared.get(Deadline(0.01), lambda: b"", 1.0)
    kept = [e.result for e in shared._entries.values() if e.result]
    assert sum(map(len, kept)) == 0, f"{sum(map(len, kept))} bytes of finished collections kept"
