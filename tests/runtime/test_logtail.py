"""A log file the exporter may not read is reported as a failure, never as "no new lines".

The permission check is real: the reader runs without CAP_DAC_OVERRIDE and
CAP_DAC_READ_SEARCH (dropped from its bounding set by util-linux's setpriv, since root would
otherwise bypass file modes), against a file whose mode is 000.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
READER = """
import sys
from lookout.exporters.runtime.collector import CollectError, reason_of
from lookout.exporters.runtime.logtail import FileTail
tail = FileTail(sys.argv[1])
try:
    print("lines", len(tail.read_lines()))
except CollectError as exc:
    print("failed", reason_of(exc), exc)
"""


def _without_file_privileges(path: Path) -> str:
    setpriv = shutil.which("setpriv")
    assert setpriv, "util-linux's setpriv is part of every Debian base system"
    res = subprocess.run([setpriv, "--bounding-set=-dac_override,-dac_read_search", sys.executable, "-c", READER,
                          str(path)], cwd=ROOT, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)
    assert res.returncode == 0, res.stderr
    return res.stdout.strip()


def test_an_unreadable_log_fails_the_read_and_names_the_file(tmp_path):
    log = tmp_path / "out.log"
    log.write_text("Sync completed in 1200ms\n")
    os.chmod(log, 0o000)
    out = _without_file_privileges(log)
    assert out.startswith("failed error"), out
    assert str(log) in out and "permission denied" in out


def test_a_missing_log_is_no_lines_yet(tmp_path):
    assert _without_file_privileges(tmp_path / "not-yet.log") == "lines 0"


def test_a_read_stuck_on_the_file_is_not_joined_by_a_second_one(tmp_path):
    """A FIFO stands in for a hung mount: opening it blocks until a writer comes. The second
    read (the next scrape's run) fails with reason timeout at its own timeout instead of
    blocking behind the first; once the file answers, reading goes on."""
    import threading
    import time

    import pytest

    from lookout.exporters.runtime.collector import CollectError
    from lookout.exporters.runtime.logtail import FileTail

    fifo = tmp_path / "hung.log"
    os.mkfifo(fifo)
    tail = FileTail(str(fifo))
    first = threading.Thread(target=tail.read_lines, daemon=True)
    first.start()
    time.sleep(0.1)  # the first read is blocked in open()
    writers = []
    # The mount answers (a writer opens the FIFO, so every open returns) after 3 s: a second
    # read that waited for the first fails the timing below instead of hanging the test.
    answer = threading.Timer(3, lambda: writers.append(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)))
    answer.start()
    t0 = time.monotonic()
    try:
        with pytest.raises(CollectError) as err:
            tail.read_lines(timeout=0.2)
        assert err.value.reason == "timeout" and time.monotonic() - t0 < 1.0
    finally:
        answer.cancel()
        answer.join(5)
    if not writers:
        writers.append(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    try:
        first.join(5)
        assert not first.is_alive()
        assert tail.read_lines(timeout=1) == []
    finally:
        for writer in writers:
            os.close(writer)
        tail.close()


def test_overlapping_reads_count_each_line_once(tmp_path):
    import threading

    from lookout.exporters.runtime.logtail import FileTail, PatternCounter

    log = tmp_path / "out.log"
    log.write_text("")
    tail, counter = FileTail(str(log)), PatternCounter({"done": "Sync completed"})
    tail.read_lines()  # opened at its end, as a running exporter does
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            counter.feed(tail.read_lines(timeout=5))

    readers = [threading.Thread(target=reader) for _ in range(4)]
    for t in readers:
        t.start()
    with open(log, "a") as f:
        for n in range(3000):
            f.write(f"Sync completed in {n}ms\n")
            f.flush()
    stop.set()
    for t in readers:
        t.join(10)
    counter.feed(tail.read_lines())
    tail.close()
    assert counter.counts == {"done": 3000}
