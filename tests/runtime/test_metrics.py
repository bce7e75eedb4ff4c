"""Typed descriptors, the fixed self-metric family, commit() and fresh-or-failed collections.

Expected exposition text follows the Prometheus text format (prometheus.io/docs/instrumenting/
exposition_formats) and docs/exporters/common.md, not the code under test."""
from __future__ import annotations

import threading
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from lookout.exporters.runtime import CollectError, Collector, Counter, Gauge, LabelError, MetricSet, StateSet
from lookout.exporters.runtime.deadline import Deadline
from lookout.exporters.runtime.http import parse_timeout_header
from lookout.exporters.runtime.scrape import Scraper

SIZE = Gauge("table_size_bytes", "Size.", labels=("container", "table"))


def _samples(scraper: Scraper, snap) -> dict:
    body, _ = scraper.render(snap, None)
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for fam in text_string_to_metric_families(body.decode()) for s in fam.samples}


def test_labels_are_mapped_by_name_whatever_the_order():
    out = MetricSet("x")
    out.add(SIZE, 1, container="a", table="t1")
    out.add(SIZE, 2, table="t2", container="b")
    got = {(s.name, s.labels["container"], s.labels["table"]): s.value for f in out.families() for s in f.samples}
    assert got == {("x_table_size_bytes", "a", "t1"): 1, ("x_table_size_bytes", "b", "t2"): 2}


@pytest.mark.parametrize("labels", [{"container": "a"}, {"container": "a", "table": "t", "extra": "e"},
                                    {"container": "a", "tabel": "t"}])
def test_wrong_label_names_raise(labels):
    with pytest.raises(LabelError):
        MetricSet("x").add(SIZE, 1, **labels)


def test_labels_checked_once_are_the_same_samples_and_still_checked():
    """MetricSet.add_many (a label set checked once, Labels, for many families) writes what add()
    writes, and refuses a descriptor whose label names differ."""
    from lookout.exporters.runtime.metrics import Labels
    rows = Gauge("table_rows", "Rows.", labels=("table", "container"))
    by_add, by_many = MetricSet("x"), MetricSet("x")
    for out in (by_add, by_many):
        out.add(SIZE, 0, container="z", table="t0")
    by_add.add(SIZE, 1, container="a", table="t1")
    by_add.add(SIZE, 2, container="b", table="t2")
    by_add.add(rows, 5, container="a", table="t1")
    at = Labels(SIZE, table="t1", container="a")
    by_many.add_many(SIZE, [at, Labels(rows, container="b", table="t2")], (1, 2))
    by_many.add_many(rows, [at], [5])
    by_many.add_many(Gauge("unseen", "Never written."), [], [])
    assert [f.samples for f in by_many.families()] == [f.samples for f in by_add.families()]
    with pytest.raises(LabelError):
        by_many.add_many(Gauge("other", "Other.", labels=("container",)), [at], [1])
    with pytest.raises(ValueError):
        by_many.add_many(SIZE, [at], [1, 2])
    with pytest.raises(LabelError):
        Labels(SIZE, container="a")


def test_counter_names_take_no_total_and_statesets_stay_bounded():
    with pytest.raises(ValueError):
        Counter("events_total", "x")
    out = MetricSet("x")
    state = StateSet("status", "Status.", states=("online", "stopped"))
    out.add(state, "exploded")  # unknown: every known state 0, no new label value
    (fam,) = out.families()
    assert sorted((s.labels["x_status"], s.value) for s in fam.samples) == [("online", 0), ("stopped", 0)]


class _Fails(Collector):
    name = "fails"
    REACH = Gauge("daemon_reachable", "Reachability written before the failure.")

    def collect(self, out, deadline):
        out.add(self.REACH, 1)
        out.commit()
        out.add(SIZE, 5, container="c", table="t")  # not committed: dropped with the failure
        out.field_missing("heap_used")
        raise CollectError("parse", "the rest was unreadable")


class _Sleeps(Collector):
    name = "sleeps"
    critical = True

    def __init__(self, seconds):
        self.seconds = seconds

    def collect(self, out, deadline):
        time.sleep(self.seconds)
        out.add(Gauge("slept", "Slept."), 1)


def test_failed_collector_keeps_committed_samples_and_self_family():
    scraper = Scraper("x", [_Fails()], "1.0")
    snap = scraper.snapshot(Deadline(2))
    got = _samples(scraper, snap)
    base = (("collector", "fails"), ("exporter", "x"))
    assert got[("x_daemon_reachable", ())] == 1
    assert not any(name == "x_table_size_bytes" for name, _ in got)
    assert got[("lookout_collector_success", base)] == 0
    assert got[("lookout_collector_errors_total", (*base, ("reason", "parse")))] == 1
    for reason in ("timeout", "connection", "auth", "error"):  # known reasons start at 0
        assert got[("lookout_collector_errors_total", (*base, ("reason", reason)))] == 0
    assert got[("lookout_collector_fields_missing_total", (*base, ("field", "heap_used")))] == 1
    assert got[("x_up", ())] == 1  # no critical collector: nothing says unreachable
    assert ("x_scrape_cache_age_seconds", ()) not in got  # only with a minimum interval


def test_a_scrape_never_waits_for_nor_shows_a_collection_started_under_a_longer_deadline():
    scraper = Scraper("x", [_Sleeps(2.0)], "1.0")
    longs = []
    other = threading.Thread(target=lambda: longs.append(scraper.snapshot(Deadline(5))))  # a large timeout header
    other.start()
    time.sleep(0.05)
    t0 = time.monotonic()
    short = scraper.snapshot(Deadline(0.3))
    took = time.monotonic() - t0
    other.join(5)
    got = _samples(scraper, short)
    assert took < 1.2, took  # 0.3 s, not the 2 s the longer collection takes
    assert got[("x_up", ())] == 0
    assert ("x_slept", ()) not in got
    assert got[("lookout_collector_errors_total", (("collector", "sleeps"), ("exporter", "x"), ("reason", "timeout")))] >= 1
    assert _samples(scraper, longs[0])[("x_slept", ())] == 1  # the long one still completes, fresh


def test_concurrent_scrapes_under_the_same_deadline_share_one_collection():
    """Single flight across request threads: each collector runs once for both scrapes."""
    class Counts(Collector):
        name = "counts"
        runs = 0

        def collect(self, out, deadline):
            Counts.runs += 1
            time.sleep(0.2)
            out.add(Gauge("runs", "Runs."), Counts.runs)

    scraper = Scraper("x", [Counts()], "1.0")
    deadline = Deadline(3)
    snaps = []
    threads = [threading.Thread(target=lambda: snaps.append(scraper.snapshot(deadline))) for _ in range(2)]
    for t in threads:
        t.start()
        time.sleep(0.02)
    for t in threads:
        t.join(5)
    assert Counts.runs == 1 and scraper.collections == 1
    assert snaps[0] is snaps[1]
    assert _samples(scraper, snaps[0])[("x_runs", ())] == 1


@pytest.mark.parametrize("header,expected", [
    (None, 10.0), ("", 10.0), ("15", 15.0), ("2.5", 2.5), (" 3 ", 3.0), ("1e9", 10.0), ("inf", 10.0),
    ("nan", 10.0), ("1e309", 10.0), ("-1", 10.0), ("0", 10.0), ("garbage", 10.0), ("100000", 120.0),
    ("120.5", 120.0)])
def test_timeout_header_strict_and_capped(header, expected):
    # Prometheus sends the scrape timeout in seconds as a plain decimal (scrape/target.go).
    assert parse_timeout_header(header, 10.0, 120.0) == expected


class _Stuck(Collector):
    """A driver stuck past every timeout: its run ends (successfully) only on `release`."""
    name = "stubborn"

    def __init__(self):
        self.release = threading.Event()
        self.running = 0

    def collect(self, out, deadline):
        self.running += 1
        self.release.wait(30)
        self.running -= 1
        out.add(Gauge("late", "Finished after the deadline."), 1)


def test_a_collector_given_up_on_is_not_waited_for_and_its_late_end_changes_nothing():
    stubborn = _Stuck()
    scraper = Scraper("x", [stubborn, _Sleeps(0)], "1.0")
    took, snaps = [], []
    for _ in range(4):  # three runs left stuck, then the fourth fails fast
        t0 = time.monotonic()
        snaps.append(scraper.snapshot(Deadline(0.2)))
        took.append(time.monotonic() - t0)
    assert stubborn.running == 3  # the fourth run was never started
    stubborn.release.set()  # every stuck run now ends, successfully and late
    for _ in range(100):
        if not stubborn.running and not scraper._stuck["stubborn"]:
            break
        time.sleep(0.02)
    key = (("collector", "stubborn"), ("exporter", "x"))
    assert max(took) < 1.0, took  # a 0.2 s deadline: answered, never waiting for the stuck runs
    for snap in snaps:
        got = _samples(scraper, snap)
        assert got[("lookout_collector_success", key)] == 0
        assert ("x_late", ()) not in got
        assert got[("x_slept", ())] == 1  # the other collector answered fresh every time
    last = _samples(scraper, snaps[-1])
    assert last[("lookout_collector_errors_total", (*key, ("reason", "timeout")))] == 4
    st = scraper.status["stubborn"]
    # The late successes were recorded nowhere.
    assert (st.success, st.reason, st.last_success, st.errors["timeout"]) == (False, "timeout", 0.0, 4)
    assert "still stuck" in st.error
    assert not scraper._stuck["stubborn"]  # the ended runs are no longer counted as stuck
    # ...and the collector runs again: a fresh success once its backend is back.
    got = _samples(scraper, scraper.snapshot(Deadline(1)))
    assert got[("lookout_collector_success", key)] == 1 and got[("x_late", ())] == 1


def test_runs_reuse_idle_threads_and_never_a_stuck_one():
    """No thread started per run once one is idle; a run given up on keeps its thread busy, so
    the next run of that collector gets another."""
    stubborn = _Stuck()
    scraper = Scraper("x", [_Sleeps(0)], "1.0")
    for _ in range(20):
        scraper.snapshot(Deadline(1))
    assert scraper._runner.started == 1
    scraper = Scraper("x", [stubborn], "1.0")
    idents = []
    stubborn.collect = lambda out, deadline, inner=stubborn.collect: (idents.append(threading.get_ident()),
                                                                     inner(out, deadline))
    try:
        scraper.snapshot(Deadline(0.1))
        scraper.snapshot(Deadline(0.1))
        assert len(set(idents)) == 2 and threading.get_ident() not in idents
    finally:
        stubborn.release.set()


class _SystemExits(Collector):
    """A library that raises a BaseException which is not an Exception."""
    name = "exits"

    def collect(self, out, deadline):
        raise SystemExit(3)


def test_a_collector_ending_with_a_base_exception_fails_alone_and_the_scrape_answers():
    scraper = Scraper("x", [_SystemExits(), _Sleeps(0)], "1.0")
    t0 = time.monotonic()
    snap = scraper.snapshot(Deadline(1.0))
    assert time.monotonic() - t0 < 0.5  # its end was counted: no wait for the deadline
    got = _samples(scraper, snap)
    key = (("collector", "exits"), ("exporter", "x"))
    assert got[("lookout_collector_success", key)] == 0
    assert got[("lookout_collector_errors_total", (*key, ("reason", "error")))] == 1
    assert got[("x_slept", ())] == 1
    assert "SystemExit" in scraper.status["exits"].error


def test_each_failure_is_logged_once():
    """The fourth scrape has both kinds of failure: `stubborn` failing fast (three runs stuck)
    and `late`, stuck for the first time."""
    from lookout.exporters.runtime import logs

    class Late(_Stuck):
        name = "late"
        runs = 0

        def collect(self, out, deadline):
            self.runs += 1
            if self.runs >= 4:
                super().collect(out, deadline)

    stubborn, late = _Stuck(), Late()
    scraper = Scraper("x", [stubborn, late], "1.0")
    try:
        with logs.capture(logs.WARNING) as records:
            for _ in range(4):
                scraper.snapshot(Deadline(0.1))
    finally:
        stubborn.release.set()
        late.release.set()
    logged = [r.fields["collector"] for r in records if r.logger == "lookout.scrape" and r.msg == "collector failed"]
    assert sorted(logged) == ["late"] + ["stubborn"] * 4, logged


def test_many_request_threads_scraping_at_once_each_answer_within_their_deadline():
    """Scrapes from many threads under different deadlines, collectors that sometimes miss
    them and report new field names and reasons as they go: every scrape answers in time with
    a whole self-metric family, and the counters add up."""
    import random

    class Jittery(Collector):
        reasons = ()

        def __init__(self, name):
            self.name = name

        def collect(self, out, deadline):
            time.sleep(random.uniform(0, 0.15))
            out.field_missing(f"f{random.randint(0, 20)}")  # new keys while others read them
            if random.random() < 0.3:
                raise CollectError(f"r{random.randint(0, 20)}", "an unusual failure")
            out.add(Gauge("value", "A value.", labels=("c",)), 1, c=self.name)

    scraper = Scraper("x", [Jittery(f"j{i}") for i in range(4)], "1.0")
    late, errors, answers = [], [], []

    def client():
        for _ in range(15):
            seconds = random.uniform(0.05, 0.2)
            t0 = time.monotonic()
            try:
                got = _samples(scraper, scraper.snapshot(Deadline(seconds)))
            except Exception as exc:  # a race would show up here
                errors.append(exc)
                continue
            took = time.monotonic() - t0
            if took > seconds + 0.5:
                late.append((seconds, took))
            answers.append(sum(1 for name, _ in got if name == "lookout_collector_success"))

    threads = [threading.Thread(target=client) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors and not late, (errors, late)
    assert len(answers) == 8 * 15 and set(answers) == {4}
    assert sum(st.attempts for st in scraper.status.values()) == 4 * scraper.collections


def test_a_run_whose_thread_cannot_start_fails_alone_and_the_collection_answers(monkeypatch):
    """A pids cgroup limit: `Thread.start` raises RuntimeError("can't start new thread")."""
    from lookout.exporters.runtime import logs

    class Other(_Sleeps):
        name = "other"

    real, fail = threading.Thread.start, [1]

    def start(self):
        if self.name == "x-collect-run" and fail:
            fail.pop()
            raise RuntimeError("can't start new thread")
        return real(self)
    monkeypatch.setattr(threading.Thread, "start", start)
    scraper = Scraper("x", [_Sleeps(0), Other(0)], "1.0")
    t0 = time.monotonic()
    with logs.capture(logs.WARNING) as records:
        snap = scraper.snapshot(Deadline(2.0))
    assert time.monotonic() - t0 < 1.0  # not held to the deadline by the run that never started
    got = _samples(scraper, snap)
    key = (("collector", "sleeps"), ("exporter", "x"))
    assert got[("lookout_collector_success", key)] == 0
    assert got[("lookout_collector_errors_total", (*key, ("reason", "error")))] == 1
    assert got[("lookout_collector_success", (("collector", "other"), ("exporter", "x")))] == 1
    assert scraper.status["sleeps"].error == "cannot start a thread"
    assert [r.fields["collector"] for r in records if r.msg == "collector failed"] == ["sleeps"]
    assert scraper.snapshot(Deadline(2.0)) and scraper.status["sleeps"].success  # the next one runs it


def test_without_a_minimum_interval_no_scrape_is_kept_after_it_is_answered():
    """A collection's rows (at 200 PM2 apps about 0.3 MB) are only reused under
    scrape.min_interval_seconds; otherwise nothing may hold them between scrapes."""
    import gc
    import weakref

    for min_interval, kept in ((0.0, False), (60.0, True)):
        scraper = Scraper("x", [_Sleeps(0)], "1.0", min_interval=min_interval)
        rows = weakref.ref(scraper.snapshot(Deadline(2)).metrics)
        gc.collect()
        assert (rows() is not None) == kept, f"min_interval {min_interval}"
