"""The status collector in-process, against status files in a temporary folder: a good
summary, restic 0.17's (no backup_end), and every way the file can fail. A failure is the
collector's (backup_up 0, its reason counted) and serves none of the earlier values."""
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from lookout.exporters.runtime import Deadline
from lookout.exporters.runtime.config import ConfigError, Loader
from lookout.exporters.runtime.scrape import Scraper
from lookout.systems.backup.exporter import EXPORTER
from lookout.systems.backup.simulator.job import BackupJob, FAULTS
from lookout.simulators.common import FaultRegistry

from .golden import folder
from .test_golden import samples

VALUES = ("backup_last_success_timestamp_seconds", "backup_last_duration_seconds", "backup_last_data_added_bytes",
          "backup_last_files_processed", "backup_last_bytes_processed")


def load(data: dict):
    return Loader(EXPORTER.namespace, environ={}).load(EXPORTER.config_class, data)


class Exporter:
    def __init__(self, status_file: Path, **settings):
        self.scraper = Scraper(EXPORTER.namespace, EXPORTER.build(load({"status_file": str(status_file), **settings})),
                               "test")

    def scrape(self, seconds: float = 5) -> dict:
        return samples(self.scraper.render(self.scraper.snapshot(Deadline(seconds)), None)[0].decode())


def errors(got: dict, reason: str) -> float:
    return got[("lookout_collector_errors_total", (("collector", "status"), ("exporter", "backup"),
                                                    ("reason", reason)))]


@pytest.fixture
def status_file(tmp_path) -> Path:
    path = tmp_path / "restic-summary.json"
    shutil.copy(folder() / "restic-summary.json", path)
    return path


def test_a_summary_is_read(status_file):
    got = Exporter(status_file).scrape()
    assert got[("backup_up", ())] == 1
    assert all((name, ()) in got for name in VALUES)


def test_restic_0_17_has_no_backup_end_and_the_file_time_stands_in(tmp_path):
    path = tmp_path / "restic-summary.json"
    shutil.copy(folder() / "restic-summary-0.17.json", path)
    os.utime(path, (1_796_520_000, 1_796_520_000))
    got = Exporter(path).scrape()
    assert got[("backup_up", ())] == 1
    assert got[("backup_last_success_timestamp_seconds", ())] == 1_796_520_000
    # The whole --json stream was kept: the last line is the summary, the status line is skipped.
    assert got[("backup_last_files_processed", ())] == 183133


@pytest.mark.parametrize("breakage, reason", [
    (lambda p: p.unlink(), "missing"),
    (lambda p: p.write_text('{"message_type":"error","error":{"message":"repository is already locked"}}\n'), "parse"),
    (lambda p: p.write_text('{"message_type":"summary","files_new'), "parse"),
    (lambda p: p.write_text(""), "parse"),
    (lambda p: p.write_bytes(b"{" + b" " * 70_000 + b"}"), "too_large"),
    (lambda p: p.write_text('{"message_type":"summary","snapshot_id":"x"}'), "fields"),
    (lambda p: (p.unlink(), p.mkdir()), "read"),
])
def test_a_broken_file_is_an_honest_failure(status_file, breakage, reason):
    exporter = Exporter(status_file)
    assert exporter.scrape()[("backup_up", ())] == 1
    breakage(status_file)
    got = exporter.scrape()
    assert got[("backup_up", ())] == 0
    assert errors(got, reason) == 1
    assert not any((name, ()) in got for name in VALUES), "an earlier answer served again"


def test_a_read_stuck_on_the_file_is_never_joined_by_a_second(status_file):
    """A FIFO stands in for a hung mount: open() blocks until something writes. The stuck read
    fails its scrape at the deadline; the next scrape does not start a second read beside it
    but fails within timeout_seconds; once the read comes back, the file is read again."""
    summary = status_file.read_bytes()
    status_file.unlink()
    os.mkfifo(status_file)
    exporter = Exporter(status_file, timeout_seconds=0.3)
    got = exporter.scrape(seconds=0.5)
    assert got[("backup_up", ())] == 0 and errors(got, "timeout") == 1
    started = time.monotonic()
    got = exporter.scrape(seconds=5)
    assert time.monotonic() - started < 2
    assert got[("backup_up", ())] == 0 and errors(got, "timeout") == 2
    assert "still stuck" in exporter.scraper.status["status"].error
    with open(status_file, "wb") as fifo:  # the mount answers: the stuck read ends
        fifo.write(summary)
    status_file.unlink()
    status_file.write_bytes(summary)
    assert exporter.scrape()[("backup_up", ())] == 1


def test_a_field_missing_from_a_good_summary_is_counted(status_file):
    status_file.write_text(status_file.read_text().replace('"data_added":', '"data_added_renamed":'))
    got = Exporter(status_file).scrape()
    assert got[("backup_up", ())] == 1 and ("backup_last_data_added_bytes", ()) not in got
    assert got[("lookout_collector_fields_missing_total", (("collector", "status"), ("exporter", "backup"),
                                                           ("field", "data_added")))] == 1


def test_what_the_simulator_writes_is_read(tmp_path):
    """The simulator stands in for cron + restic: its file is a summary the exporter reads."""
    path = tmp_path / "restic-summary.json"
    job = BackupJob(str(path), 60, FaultRegistry(FAULTS), seed=1)
    job.run_once()
    got = Exporter(path).scrape()
    assert got[("backup_up", ())] == 1 and all((name, ()) in got for name in VALUES)
    job.faults.inject("status-lost", {})
    job.run_once()
    assert Exporter(path).scrape()[("backup_up", ())] == 0


@pytest.mark.parametrize("data, key", [({"status_file": "relative.json"}, "status_file"),
                                       ({"max_bytes": 10}, "max_bytes"), ({"timeout_seconds": 0}, "timeout_seconds"),
                                       ({"status_fil": "/x"}, "status_fil")])
def test_bad_config_names_the_key(data, key):
    with pytest.raises(ConfigError) as err:
        load({"status_file": "/var/lib/backup/s.json", **data})
    assert err.value.key == key
