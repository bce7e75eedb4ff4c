"""runtime/held.py: a lock waited for no longer than the collection's deadline."""
from __future__ import annotations

import threading
import time

import pytest

from lookout.exporters.runtime import CollectError, Deadline
from lookout.exporters.runtime.held import held


def test_a_lock_held_elsewhere_fails_the_run_at_its_deadline_with_reason_timeout():
    lock = threading.Lock()
    lock.acquire()
    start = time.monotonic()
    with pytest.raises(CollectError) as caught:
        with held(lock, Deadline(0.2), "an earlier run is still reading"):
            pytest.fail("entered without the lock")
    waited = time.monotonic() - start
    assert (caught.value.reason, str(caught.value)) == ("timeout", "an earlier run is still reading")
    assert 0.15 <= waited < 1.0
    assert lock.locked()  # still the other holder's


def test_the_lock_is_released_when_the_block_ends_or_raises():
    lock = threading.Lock()
    with held(lock, Deadline(1), "busy"):
        assert lock.locked()
    assert not lock.locked()
    with pytest.raises(ValueError):
        with held(lock, Deadline(1), "busy"):
            raise ValueError("the backend failed")
    assert not lock.locked()


def test_a_semaphore_admits_as_many_runs_as_it_has_slots():
    slots = threading.BoundedSemaphore(2)
    with held(slots, Deadline(1), "busy"), held(slots, Deadline(1), "busy"):
        with pytest.raises(CollectError):
            with held(slots, Deadline(0.05), "all 2 connections busy"):
                pass
    with held(slots, Deadline(0.05), "busy"):  # both came back
        pass
