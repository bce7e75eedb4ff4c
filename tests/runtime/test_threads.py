"""runtime/threads.py: a job's thread is kept for the next job, and a stuck one never is."""
from __future__ import annotations


import threading

from lookout.exporters.runtime import logs, threads
from lookout.exporters.runtime.threads import Runner


def _run(runner: Runner, job) -> object:
    """`job()` on the runner; its result once `then` said it ended."""
    got, ended = [], threading.Event()
    runner.start(lambda: got.append(job()), ended.set)
    assert ended.wait(5)
    return got[0] if got else None


def _thread(ident: int) -> threading.Thread:
    return next(t for t in threading.enumerate() if t.ident == ident)


def test_a_thread_that_came_back_runs_the_next_job():
    # A thread started per run is what a scrape used to pay for each collector.
    runner = Runner("c", 2)
    idents = [_run(runner, threading.get_ident) for _ in range(5)]
    assert len(set(idents)) == 1 and runner.started == 1
    assert idents[0] != threading.get_ident()


def test_a_stuck_job_keeps_its_thread_and_the_next_job_gets_another():
    runner = Runner("c", 2)
    stuck, release = threading.Event(), threading.Event()
    hung = []

    def hang():
        hung.append(threading.get_ident())
        stuck.set()
        release.wait(10)

    runner.start(hang)  # nobody waits for it: given up on
    assert stuck.wait(5)
    try:
        other = _run(runner, threading.get_ident)
        assert other != hung[0] and runner.started == 2
    finally:
        release.set()


def test_a_failing_job_is_logged_and_its_thread_serves_the_next():
    runner = Runner("c", 1)
    with logs.capture(logs.ERROR) as records:
        first = _run(runner, lambda: (threading.get_ident(), 1 / 0))
        second = _run(runner, threading.get_ident)
    assert first is None and isinstance(second, int) and runner.started == 1
    assert any(r.logger == "lookout.threads" and r.exc_info and r.exc_info[0] is ZeroDivisionError for r in records)


def test_at_most_max_idle_threads_wait():
    runner = Runner("c", 1)
    release = threading.Event()
    both = threading.Barrier(3)
    ended = [threading.Event(), threading.Event()]
    for e in ended:
        runner.start(lambda: (both.wait(5), release.wait(5)), e.set)
    both.wait(5)  # two threads, both running
    release.set()
    assert all(e.wait(5) for e in ended)
    assert len(runner._idle) == 1 and runner.started == 2


def test_close_ends_the_waiting_threads_and_a_later_job_still_runs():
    runner = Runner("c", 2)
    waiting = _thread(_run(runner, threading.get_ident))
    runner.close()
    waiting.join(5)
    assert not waiting.is_alive()
    assert isinstance(_run(runner, threading.get_ident), int)


def test_a_thread_left_without_a_job_ends(monkeypatch):
    monkeypatch.setattr(threads, "IDLE_SECONDS", 0.01)
    runner = Runner("c", 1)
    waiting = _thread(_run(runner, threading.get_ident))
    waiting.join(5)
    assert not waiting.is_alive()
    assert runner._idle == []
