"""The opt-in `pm2 jlist` fallback under a CLI that hangs: a hard timeout, and nothing left running.

The CLI here is a FAKE (a shell script standing in for PM2's, whose hang we cannot provoke on
demand): it forks a child that keeps the output pipe open, prints part of an array and sleeps.
"""
from __future__ import annotations

import time

import psutil
import pytest

from lookout.devstack.proc import wait_until
from lookout.exporters.runtime import CollectError
from lookout.systems.pm2.exporter.jlist import jlist

pytestmark = pytest.mark.integration  # runs a (fake) CLI as a child process

HUNG_PM2 = """#!/bin/sh
sleep 60 &
echo "$$ $!" > "{pids}"
printf '[{{"name": "a"'
sleep 60
"""


def test_a_hung_cli_is_killed_with_what_it_forked(tmp_path):
    pids = tmp_path / "pids"
    cli = tmp_path / "pm2"
    cli.write_text(HUNG_PM2.format(pids=pids))
    cli.chmod(0o755)
    start = time.monotonic()
    with pytest.raises(CollectError) as failed:
        jlist(str(cli), str(tmp_path), 0.5)
    assert failed.value.reason == "timeout"
    assert time.monotonic() - start < 2.5  # 0.5 s, the kill and the reaping
    # SIGKILL to the group is delivered when each process next runs: on a loaded machine the
    # forked child may still show as running for a moment after jlist returned.
    for pid in map(int, pids.read_text().split()):
        # (wait_until asks again when the process vanished between pid_exists and status)
        wait_until(lambda: not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE,
                   2, 0.02, what=f"pid {pid} of the hung CLI to end")


def test_a_cli_that_fails_says_so(tmp_path):
    cli = tmp_path / "pm2"
    cli.write_text("#!/bin/sh\necho 'daemon not found' >&2\nexit 3\n")
    cli.chmod(0o755)
    with pytest.raises(CollectError, match="exited with 3") as failed:
        jlist(str(cli), str(tmp_path), 5)
    assert failed.value.reason == "jlist"


def test_warnings_before_the_array_are_skipped(tmp_path):
    """A CLI may print a notice (a version mismatch, say) before the JSON array."""
    cli = tmp_path / "pm2"
    cli.write_text("#!/bin/sh\necho '>>>> In-memory PM2 is out-of-date'\n"
                   "echo '[{\"name\": \"a\", \"pm_id\": 0, \"pm2_env\": {\"status\": \"online\"}}]'\n")
    cli.chmod(0o755)
    procs = jlist(str(cli), str(tmp_path), 5)
    assert [(p["name"], p["pm_id"], p["pm2_env"]["status"]) for p in procs] == [("a", 0, "online")]
