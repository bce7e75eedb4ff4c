"""Threads that run one job at a time and are reused: the scrape's collector runs.

Why reuse: a scrape runs every collector on a thread of its own (so one stuck backend never
holds up another collector), and starting a thread per run per scrape is most of the
runtime's own cost. A thread that finished its job waits for the next one (at most `max_idle`
wait, each at most IDLE_SECONDS, longer than usual scrape intervals).

Why a job may be abandoned: the scrape gives up on a run at its deadline and answers without
it. Its thread is left to come back on its own (every blocking call in a collector carries a
timeout) and is never handed a job meanwhile, so the next job gets an idle thread or a new
one. Threads are daemon threads, so a stuck one never holds up the process's exit.
"""
from __future__ import annotations

import threading
TYPE_CHECKING = False  # typing's own flag, without importing typing (issue 24: start-up)
if TYPE_CHECKING:
    from typing import Callable

from .logs import get_logger

log = get_logger("lookout.threads")

# How long a thread that finished its job waits for the next one before it ends.
IDLE_SECONDS = 120.0
_CLOSE = ()  # handed to a waiting thread by close(): end


class Runner:
    """Runs `start(job, then)` jobs on reused daemon threads named `<name>-run`."""

    def __init__(self, name: str, max_idle: int):
        self.name = name
        self.max_idle = max_idle
        self._lock = threading.Lock()
        self._idle: list[_Inbox] = []  # the inboxes of threads waiting for a job
        self.started = 0  # threads started so far (tests and benches read it)

    def start(self, job: Callable[[], object], then: Callable[[], object] | None = None) -> None:
        """`job()` on an idle thread, or a new one when none waits; returns at once.

        `then()` runs on the same thread after `job` ended and the thread was put back among
        the idle ones: what `then` signals (a run's end) finds the thread ready for the next
        job. An exception from either is logged, never ends the thread.
        """
        with self._lock:
            inbox = self._idle.pop() if self._idle else None
            if inbox is None:
                self.started += 1
        if inbox is None:
            inbox = _Inbox()
            threading.Thread(target=self._serve, args=(inbox,), name=f"{self.name}-run", daemon=True).start()
        inbox.put((job, then))

    def close(self) -> None:
        """End the threads waiting for a job (a running job's thread ends after it; all are
        daemon threads). A later job starts a thread again."""
        with self._lock:
            idle, self._idle = self._idle, []
        for inbox in idle:
            inbox.put(_CLOSE)

    def _serve(self, inbox: "_Inbox") -> None:
        while True:
            work = inbox.get(IDLE_SECONDS)
            if work is None:
                with self._lock:
                    if inbox in self._idle:  # nobody took this thread while it waited: end it
                        self._idle.remove(inbox)
                        return
                work = inbox.get(None)  # taken just now: the job (or close()'s word) is on its way
            if work is _CLOSE:
                return
            job, then = work
            _call(job)
            with self._lock:
                keep = len(self._idle) < self.max_idle
                if keep:
                    self._idle.append(inbox)
            if then is not None:
                _call(then)
            del work, job, then  # hold nothing while waiting
            if not keep:
                return


def _call(fn: Callable[[], object]) -> None:
    try:
        fn()
    except BaseException:  # a job's own failure; the thread goes on serving
        log.exception("a job on a runner thread failed")


class _Inbox:
    """One job handed to one waiting thread (a lock as the signal: the cheapest one)."""

    __slots__ = ("work", "_ready")

    def __init__(self):
        self.work = None
        self._ready = threading.Lock()
        self._ready.acquire()

    def put(self, work: tuple) -> None:
        self.work = work
        self._ready.release()

    def get(self, timeout: float | None) -> tuple | None:
        """The next job (or close()'s _CLOSE), None after `timeout` seconds without one."""
        if not self._ready.acquire(timeout=-1 if timeout is None else timeout):
            return None
        work, self.work = self.work, None
        return work
