"""The golden `/metrics` is what the exporter renders from the recorded status file, and its
values mean what restic's summary means (expected values from the recorded line, not the exporter)."""
from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from . import golden

GOLDEN = Path(__file__).resolve().parent / "golden.prom"


def samples(text: str) -> dict:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for fam in text_string_to_metric_families(text) for s in fam.samples}


def test_golden_metrics_are_up_to_date():
    assert GOLDEN.read_text() == golden.render(), \
        "golden.prom is stale: run `python -m lookout.systems.backup.tests.golden` and review the diff"


def test_every_recorded_answer_names_the_file_it_mirrors():
    for name, s in golden.sources().items():
        assert re.fullmatch(rf"{golden.REPO}@[0-9a-f]{{40}}:\S+\.go", s["mirrors"]), (name, s)
        assert (golden.folder() / s["file"]).is_file(), name


def test_values_mean_what_restic_means():
    got = samples(GOLDEN.read_text())
    summary = json.loads((golden.folder() / "restic-summary.json").read_text())
    assert got[("backup_up", ())] == 1.0
    # json.go: backup_end is a Go time.Time (RFC 3339, nanoseconds); Python keeps microseconds.
    end = datetime.fromisoformat(summary["backup_end"][:26] + summary["backup_end"][29:])
    assert got[("backup_last_success_timestamp_seconds", ())] == end.timestamp()
    assert got[("backup_last_duration_seconds", ())] == summary["total_duration"]
    assert got[("backup_last_data_added_bytes", ())] == summary["data_added"]
    assert got[("backup_last_files_processed", ())] == summary["total_files_processed"]
    assert got[("backup_last_bytes_processed", ())] == summary["total_bytes_processed"]
