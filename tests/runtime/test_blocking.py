"""runtime/blocking.py: a call's thread is kept for the next call, and a stuck one never is."""
from __future__ import annotations

import asyncio
import threading

import pytest

from lookout.exporters.runtime import BlockingPool, CollectError


def test_a_thread_that_came_back_runs_the_next_call():
    # A thread started per call is what a scrape used to pay for each database statement.
    async def main():
        pool = BlockingPool("db", 2)
        return [await pool.run(threading.get_ident, timeout=5) for _ in range(5)]

    threads = asyncio.run(main())
    assert len(set(threads)) == 1
    assert threads[0] != threading.get_ident()  # on a thread of the pool, not the event loop's


def test_an_abandoned_call_keeps_its_thread_and_the_next_call_gets_another():
    async def main():
        pool = BlockingPool("db", 1)
        stuck, release = threading.Event(), threading.Event()
        hung = []

        def hang():
            hung.append(threading.get_ident())
            stuck.set()
            release.wait(10)
            return threading.get_ident()

        task = asyncio.ensure_future(pool.run(hang, timeout=None))
        while not stuck.is_set():
            await asyncio.sleep(0.001)
        task.cancel()  # the caller gives up: the call is abandoned, its thread still blocked
        with pytest.raises(asyncio.CancelledError):
            await task
        assert pool.stuck == 1
        other = await pool.run(threading.get_ident, timeout=5)
        release.set()
        return other, hung[0]

    other, hung = asyncio.run(main())
    assert other != hung


def test_a_call_past_its_timeout_is_a_timeout():
    async def main():
        pool = BlockingPool("db", 1)
        release = threading.Event()
        try:
            with pytest.raises(CollectError) as err:
                await pool.run(release.wait, 10, timeout=0.05)
            return err.value.reason
        finally:
            release.set()

    assert asyncio.run(main()) == "timeout"


def _thread(ident: int) -> threading.Thread:
    return next(t for t in threading.enumerate() if t.ident == ident)


def test_close_ends_the_waiting_threads_and_a_later_call_still_runs():
    async def main():
        pool = BlockingPool("db", 2)
        waiting = _thread(await pool.run(threading.get_ident, timeout=5))
        pool.close()
        waiting.join(5)
        return waiting, await pool.run(threading.get_ident, timeout=5)

    waiting, later = asyncio.run(main())
    assert not waiting.is_alive()
    assert isinstance(later, int)  # ran (on a new thread: idents of ended threads are reused)


def test_a_thread_left_without_a_call_ends(monkeypatch):
    from lookout.exporters.runtime import blocking
    monkeypatch.setattr(blocking, "IDLE_SECONDS", 0.01)

    async def main():
        pool = BlockingPool("db", 1)
        return _thread(await pool.run(threading.get_ident, timeout=5)), pool

    waiting, pool = asyncio.run(main())
    waiting.join(5)
    assert not waiting.is_alive()
    assert pool._idle == []
