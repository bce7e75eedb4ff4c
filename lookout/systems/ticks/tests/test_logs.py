"""The collector's log lines, counted from a real container: exactly what was printed,
on both streams, in bursts read across many scrapes, and across an exporter restart."""
from __future__ import annotations

import os
import threading
import time
import uuid

from lookout.systems.ticks.exporter.logs import LogCursor
from lookout.devstack.proc import promtool_check_metrics, scrape, wait_until

# Prints each batch file the test drops into /ctl (*.err.txt on stderr), then deletes it.
PRINTER = ["sh", "-c", 'while :; do for f in /ctl/*.txt; do [ -e "$f" ] || continue; '
                       'case "$f" in *.err.txt) cat "$f" >&2;; *) cat "$f";; esac; rm "$f"; done; sleep 0.05; done']
EVENTS = ("error", "reconnect", "connected", "stats")
# These tests read the log collector alone. The container collector waits on every scrape
# for Docker's next 1 s stats sample (containers.py, _memory_stats), which made each of the
# many scrapes here take a second; its own tests are in test_containers.py.
LOGS_ONLY = ["--no-collector.containers"]


class Printer:
    def __init__(self, engine, ctl_dir):
        self.ctl = ctl_dir
        self.ctl.mkdir()
        self.name = f"eth-collector-{uuid.uuid4().hex[:8]}"
        self.container = engine.run(PRINTER, name=self.name, volumes={str(self.ctl): {"bind": "/ctl", "mode": "rw"}})
        self.batches = 0

    def say(self, lines: list[str], stderr: bool = False) -> None:
        """Prints the lines and returns once they are in Docker's log."""
        self.batches += 1
        name = f"{self.batches:04d}{'.err' if stderr else ''}.txt"
        tmp = self.ctl / (name + ".part")
        tmp.write_text("".join(line + "\n" for line in lines))
        os.rename(tmp, self.ctl / name)  # the printer only ever sees whole batches
        wait_until(lambda: not (self.ctl / name).exists(), timeout=10, interval=0.02, what="the batch printed")
        time.sleep(0.1)  # from the container's pipe into Docker's log file

    def remove(self):
        self.container.remove(force=True)


def counts(exp, container) -> dict:
    m = scrape(exp.url)
    assert m.get("lookout_collector_success", collector="logs") == 1, m.text
    got = {e: m.get("ticks_log_events_total", container=container, event=e) for e in EVENTS}
    got["reported"] = m.get("ticks_log_reported_ticks", container=container)
    return got


def expect(exp, container, **want):
    want = {**dict.fromkeys(EVENTS, 0), "reported": None, **want}
    wait_until(lambda: counts(exp, container) == want, timeout=15, interval=0.2,
               what=f"counts {want} (last {counts(exp, container)})")
    for _ in range(3):  # and they stay put: nothing is counted twice on later reads
        assert counts(exp, container) == want


def test_counters_match_what_was_printed_including_across_a_restart(docker_engine, table, exporter, tmp_path):
    p = Printer(docker_engine, tmp_path / "ctl")
    try:
        cfg = {"tables": [{"name": table()}], "docker": {"host": docker_engine.host, "containers": [p.name]}}
        p.say(["ERROR old history", "Reconnecting in 1s...", "STATS | Ticks: 7"])  # before the exporter
        exp = exporter(cfg, args=LOGS_ONLY)
        expect(exp, p.name)  # history is not news

        p.say(["2026-01-01 12:00:00 - collector - ERROR - Error: Connection reset",
               "2026-01-01 12:00:01 - collector - WARNING - Reconnecting in 2s...",
               "2026-01-01 12:00:03 - collector - INFO - WebSocket connected successfully",
               "2026-01-01 12:00:04 - collector - INFO - Successfully subscribed to 50 channels",
               "2026-01-01 12:00:05 - collector - INFO - STATS | Ticks: 145 | Errors: 1",
               "2026-01-01 12:00:06 - collector - ERROR - JSON decode error",
               "2026-01-01 12:00:07 - collector - WARNING - Reconnecting in 4s..."])
        p.say(["Traceback: ERROR in writer", "ERROR: Database write failed"], stderr=True)
        expect(exp, p.name, error=4, reconnect=2, connected=1, stats=1, reported=145)

        # A burst read by many concurrent scrapes, with stdout and stderr interleaved.
        stop, scraped = threading.Event(), [0]

        def hammer():
            while not stop.is_set():
                scrape(exp.url)
                scraped[0] += 1
        workers = [threading.Thread(target=hammer) for _ in range(2)]
        for w in workers:
            w.start()
        try:
            for i in range(6):
                p.say([f"Reconnecting in {i}s..." for _ in range(50)])
                p.say([f"ERROR burst {i}.{j}" for j in range(25)], stderr=True)
        finally:
            stop.set()
            for w in workers:
                w.join()
        assert scraped[0] >= 3  # reads really did happen while the burst was printed
        expect(exp, p.name, error=154, reconnect=302, connected=1, stats=1, reported=145)
        assert promtool_check_metrics(scrape(exp.url).text) == ""

        exp.stop()
        p.say(["ERROR while the exporter is down", "STATS | Ticks: 99"])
        exp = exporter(cfg, args=LOGS_ONLY)  # counting starts again from now: no replay of old lines
        expect(exp, p.name)
        p.say(["ERROR after restart", "WebSocket connected successfully", "STATS | Ticks: 1,234"])
        expect(exp, p.name, error=1, connected=1, stats=1, reported=1234)
    finally:
        p.remove()


def _raw(*lines: tuple[int, str]) -> bytes:
    """A `logs(timestamps=True)` answer with nanosecond timestamps within one second."""
    return "".join(f"2026-11-22T07:00:00.{ns:09d}Z {text}\n" for ns, text in lines).encode()


def test_cursor_counts_each_line_once_despite_overlap_and_late_lines():
    base = 1_795_330_800 * 1_000_000_000  # 2026-11-22T07:00:00Z
    cursor = LogCursor(start_ns=base + 100, overlap_ns=500_000_000)
    # Before the start: history. At and after: news.
    assert cursor.new_lines(_raw((99, "old"), (100, "a"), (200, "b"))) == ["a", "b"]
    # The next read overlaps the last: only the unseen line is new.
    assert cursor.new_lines(_raw((100, "a"), (200, "b"), (300, "c"))) == ["c"]
    # A line that reached the log file late (stderr vs stdout) but is inside the overlap.
    assert cursor.new_lines(_raw((150, "late"), (200, "b"), (300, "c"))) == ["late"]
    # Two different lines with the same timestamp are two lines.
    assert cursor.new_lines(_raw((300, "c"), (300, "c2"))) == ["c2"]
    # Docker's `since` is asked a hair before the bound, never after it.
    assert cursor.since() * 1e9 < cursor.lower_ns()
    assert cursor.lower_ns() == base + 100  # newest - overlap is still before the start


def test_stats_buffer_and_no_tick_warnings(docker_engine, table, exporter, tmp_path):
    """smartiesss/datadownloader scripts/ws_tick_collector.py: _stats_logger()'s STATS line
    (buffer fill in percent) and _heartbeat_monitor()'s warning; the values are ours."""
    p = Printer(docker_engine, tmp_path / "ctl")
    try:
        cfg = {"tables": [{"name": table()}], "docker": {"host": docker_engine.host, "containers": [p.name]}}
        exp = exporter(cfg, args=LOGS_ONLY)
        scrape(exp.url)
        p.say(["2026-01-13 10:00:00,120 - __main__ - INFO - STATS | Ticks: 5120 | Quotes: 4800 | Trades: 320 "
               "| Depth: 0 | Errors: 2 | Buffer: Q=12.5% T=3.0% D=0.0% | DB Writes: Q=4700 T=318",
               "2026-01-13 10:01:00,010 - __main__ - WARNING - No ticks received for 75s (timeout: 60s)",
               "2026-01-13 10:02:00,010 - __main__ - WARNING - No ticks received for 135s (timeout: 60s)"])

        def read():
            m = scrape(exp.url)
            buffers = {b: m.get("ticks_collector_buffer_utilization_ratio", container=p.name, buffer=b)
                       for b in ("quotes", "trades", "depth")}
            return buffers, m.get("ticks_collector_no_tick_warnings_total", container=p.name), \
                m.get("ticks_log_reported_ticks", container=p.name)

        want = ({"quotes": 0.125, "trades": 0.03, "depth": 0.0}, 2, 5120)
        wait_until(lambda: read() == want, timeout=15, interval=0.2, what=f"{want} (last {read()})")
        p.say(["2026-01-13 10:03:00,000 - __main__ - INFO - STATS | Ticks: 5121 | Quotes: 4801 | Trades: 320 "
               "| Depth: 0 | Errors: 2 | Buffer: Q=99.0% T=0.5% D=0.0% | DB Writes: Q=4700 T=318"])
        want = ({"quotes": 0.99, "trades": 0.005, "depth": 0.0}, 2, 5121)
        wait_until(lambda: read() == want, timeout=15, interval=0.2, what=f"{want} (last {read()})")
    finally:
        p.remove()


def test_lost_flushes_and_rows_are_counted_from_the_collectors_own_lines(docker_engine, table, exporter, tmp_path):
    """smartiesss/datadownloader 377f9a60: scripts/tick_writer.py _write_quote_batch() after its
    3 attempts, then ws_tick_collector.py _flush_buffers()'s except (logging_config.py's
    "%(asctime)s - %(name)s - %(levelname)s - %(message)s"), and tick_buffer.py clear_all()."""
    p = Printer(docker_engine, tmp_path / "ctl")
    try:
        cfg = {"tables": [{"name": table()}], "docker": {"host": docker_engine.host, "containers": [p.name]}}
        exp = exporter(cfg, args=LOGS_ONLY)
        scrape(exp.url)
        p.say(["2026-01-13 10:00:00,120 - scripts.tick_writer - ERROR - Batch write failed (attempt 3/3): "
               "connection was closed in the middle of operation",
               "2026-01-13 10:00:00,121 - scripts.tick_writer - ERROR - Failed to write 500 quotes after 3 attempts",
               "2026-01-13 10:00:00,122 - __main__ - ERROR - Failed to flush buffers: connection was closed in the "
               "middle of operation",
               "2026-01-13 10:00:05,000 - scripts.tick_writer - ERROR - Failed to write 40 depth snapshots after 3 "
               "attempts",
               "2026-01-13 10:00:05,001 - __main__ - ERROR - Failed to flush buffers: disk full",
               "2026-01-13 10:09:00,000 - scripts.tick_buffer - WARNING - Emergency buffer clear: 7 quotes, "
               "2 trades, 0 depth snapshots discarded"])

        def read():
            m = scrape(exp.url)
            return (m.get("ticks_collector_flushes_lost_total", container=p.name),
                    {k: m.get("ticks_collector_rows_lost_total", container=p.name, kind=k)
                     for k in ("quotes", "trades", "depth")})

        want = (2, {"quotes": 507, "trades": 2, "depth": 40})
        wait_until(lambda: read() == want, timeout=15, interval=0.2, what=f"{want} (last {read()})")
    finally:
        p.remove()
