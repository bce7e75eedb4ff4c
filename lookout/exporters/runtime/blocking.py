"""Blocking calls of one backend on threads of its own, bounded, and abandonable.

Why not the event loop's default executor: a frozen database used to fill it with stuck
calls, and then the process and log collectors, which never touch the database, queued
behind them and timed out too. Each backend gets its own `BlockingPool`; a call its caller
gave up on (deadline passed) is abandoned: the caller moves on at once, the thread is left
to come back on its own (every blocking call here carries its own socket timeout), and a
new call does not wait for it. Threads are daemon threads, so a stuck one never holds up
the process's exit.

A thread that comes back waits for the next call (at most `size` of them wait, each at most
IDLE_SECONDS, longer than usual scrape intervals), so a scrape does not pay for starting a
thread per call; a stuck thread is never handed a call, so abandoning works as before: the
next call gets an idle thread or a new one.
"""
from __future__ import annotations

import asyncio
import threading
from typing import Any, Callable

from .collector import CollectError

# How long a thread that came back waits for the next call before it ends.
IDLE_SECONDS = 120.0
_CLOSE = ()  # handed to a waiting thread by close(): end


class BlockingPool:
    """At most `size` calls running for live callers, plus at most `max_abandoned` still stuck.

    `run` raises CollectError("timeout") when the deadline passes first, and fails fast with
    reason "timeout" when so many abandoned calls are still stuck that starting another
    thread would only add to the pile.
    """

    def __init__(self, name: str, size: int, max_abandoned: int | None = None):
        self.name = name
        self.size = size
        self.max_abandoned = size * 4 if max_abandoned is None else max_abandoned
        self._slots: asyncio.Semaphore | None = None
        self._lock = threading.Lock()
        self._abandoned_running = 0
        self._idle: list[_Inbox] = []  # the inboxes of threads waiting for a call

    @property
    def stuck(self) -> int:
        """Abandoned calls whose thread has not come back yet."""
        with self._lock:
            return self._abandoned_running

    async def run(self, fn: Callable[..., Any], *args: Any, timeout: float | None) -> Any:
        """`fn(*args)` on a thread of this pool; `timeout` None leaves giving up to the caller's
        cancellation (the call is then abandoned the same way)."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.size)
        if self.stuck > self.max_abandoned:
            raise CollectError("timeout", f"{self.name}: {self.stuck} earlier calls are still stuck")
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                async with self._slots:
                    future = loop.create_future()
                    call = _Call()
                    self._start((loop, future, call, fn, args))
                    try:
                        return await future
                    except asyncio.CancelledError:
                        self._abandon(call)
                        raise
        except TimeoutError:
            raise CollectError("timeout", f"{self.name}: no answer within {timeout:.2f}s") from None

    def close(self) -> None:
        """End the threads waiting for a call (a running or stuck call's thread ends with it;
        all are daemon threads). A later call starts a thread again."""
        with self._lock:
            idle, self._idle = self._idle, []
        for inbox in idle:
            inbox.put(_CLOSE)

    def _abandon(self, call: "_Call") -> None:
        with self._lock:
            if not call.done:
                call.abandoned = True
                self._abandoned_running += 1

    def _start(self, job: tuple) -> None:
        """Hand `job` to a waiting thread, or to a new one when none waits."""
        with self._lock:
            inbox = self._idle.pop() if self._idle else None
        if inbox is None:
            inbox = _Inbox()
            threading.Thread(target=self._serve, args=(inbox,), name=f"{self.name}-call", daemon=True).start()
        inbox.put(job)

    def _serve(self, inbox: "_Inbox") -> None:
        while True:
            job = inbox.get(IDLE_SECONDS)
            if job is None:
                with self._lock:
                    if inbox in self._idle:  # nobody took this thread while it waited: end it
                        self._idle.remove(inbox)
                        return
                job = inbox.get(None)  # taken just now: the call (or close()'s word) is on its way
            if job is _CLOSE:
                return
            loop, future, call, fn, args = job
            try:
                result, error = fn(*args), None
            except BaseException as exc:  # handed to the awaiting coroutine
                result, error = None, exc
            with self._lock:
                call.done = True
                if call.abandoned:
                    self._abandoned_running -= 1
                # Waiting again before the result is handed over, so the caller's next call
                # finds this thread idle; beyond `size` waiting threads, this one ends.
                keep = len(self._idle) < self.size
                if keep:
                    self._idle.append(inbox)
            if not call.abandoned:
                try:
                    loop.call_soon_threadsafe(_settle, future, result, error)
                except RuntimeError:  # the loop is closed: the process is exiting
                    pass
            del job, loop, future, call, fn, args, result, error  # hold nothing while waiting
            if not keep:
                return


class _Inbox:
    """One call handed to one waiting thread (a lock as the signal: nothing more to import)."""

    __slots__ = ("job", "_ready")

    def __init__(self):
        self.job = None
        self._ready = threading.Lock()
        self._ready.acquire()

    def put(self, job: tuple) -> None:
        self.job = job
        self._ready.release()

    def get(self, timeout: float | None) -> tuple | None:
        """The next call (or close()'s _CLOSE), None after `timeout` seconds without one."""
        if not self._ready.acquire(timeout=-1 if timeout is None else timeout):
            return None
        job, self.job = self.job, None
        return job


class _Call:
    __slots__ = ("done", "abandoned")

    def __init__(self):
        self.done = False
        self.abandoned = False


def _settle(future: asyncio.Future, result: Any, error: BaseException | None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
