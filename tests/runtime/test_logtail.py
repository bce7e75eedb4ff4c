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
