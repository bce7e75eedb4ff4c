"""runtime/asyncbridge.py: a coroutine on the shared loop, from plain threads, given up on at
its timeout without waiting for its cancellation to finish."""
from __future__ import annotations

import asyncio
import threading
import time

import pytest

from lookout.exporters.runtime import CollectError
from lookout.exporters.runtime.asyncbridge import run


def test_the_result_and_the_exception_of_the_coroutine():
    async def answer():
        await asyncio.sleep(0.01)
        return 42

    async def fails():
        raise ValueError("bad")

    assert run(answer, 2) == 42
    with pytest.raises(ValueError):
        run(fails, 2)


def test_at_the_timeout_the_coroutine_is_cancelled_and_the_caller_returns_at_once():
    cancelled, release = threading.Event(), threading.Event()

    async def stuck_in_cleanup():
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            # A driver releasing a connection to a frozen server: cancellation is not the end.
            while not release.is_set():
                try:
                    await asyncio.sleep(0.01)
                except asyncio.CancelledError:
                    continue
            raise

    backstop = threading.Timer(3, release.set)  # a bridge that waits for the coroutine fails, not hangs
    backstop.start()
    t0 = time.monotonic()
    try:
        with pytest.raises(CollectError) as err:
            run(stuck_in_cleanup, 0.2)
        took = time.monotonic() - t0
        assert err.value.reason == "timeout"
        assert took < 0.6, took
        assert cancelled.wait(2)  # it was told
    finally:
        release.set()
        backstop.cancel()
    assert run(lambda: asyncio.sleep(0, "still serving"), 2) == "still serving"  # the loop is not held


def test_calls_from_several_threads_run_concurrently_on_the_one_loop():
    loops, results = set(), []

    async def slow(i):
        loops.add(id(asyncio.get_running_loop()))
        await asyncio.sleep(0.3)
        return i

    threads = [threading.Thread(target=lambda i=i: results.append(run(lambda: slow(i), 5))) for i in range(5)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert sorted(results) == list(range(5)) and len(loops) == 1
    assert time.monotonic() - t0 < 1.2  # not one after the other (5 x 0.3 s)


def test_a_coroutine_cancelled_from_within_is_an_error():
    async def cancelled():
        waiter = asyncio.get_running_loop().create_future()
        waiter.cancel()
        await waiter

    with pytest.raises(CollectError) as err:
        run(cancelled, 2)
    assert err.value.reason == "error"
