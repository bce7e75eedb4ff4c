"""The opt-in fallback: `pm2 jlist`, for a daemon whose RPC replies we cannot read.

It costs a whole Node process per call (about 184 ms and 58 MB on the sync server's
host), and PM2's CLI starts a daemon when none answers, so it only ever runs after the
RPC socket accepted a connection: a down daemon is reported as down, never replaced.
"""
from __future__ import annotations

import os
import select
import signal
import subprocess
import time
from typing import Any

from lookout.exporters.runtime import CollectError
from lookout.exporters.runtime.capped import OutputTooLarge, read_capped

from .reply import process_list

_MAX_OUTPUT = 32 * 1024 * 1024
# How long a killed child may take to be reaped before it is left to Popen's own reaping.
_REAP_SECONDS = 2.0


def jlist(command: str, pm2_home: str, timeout: float) -> list[Any]:
    """`<command> jlist`'s process list, within `timeout` seconds (then the child and whatever
    it forked are killed: CollectError "timeout"); at most _MAX_OUTPUT bytes of output
    (CollectError "parse"); a failing CLI is CollectError "jlist"."""
    end = time.monotonic() + max(timeout, 0.0)
    env = {**os.environ, "PM2_HOME": pm2_home}
    try:
        proc = subprocess.Popen(
            [command, "jlist"], env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            start_new_session=True)  # its own process group: killed with whatever it forked
    except OSError as exc:
        raise CollectError("jlist", f"cannot run {command} jlist: {exc.strerror or exc}") from None
    try:
        out = read_capped(_reader(proc.stdout.fileno(), end), _MAX_OUTPUT)
        proc.wait(max(end - time.monotonic(), 0.0))
    except (TimeoutError, subprocess.TimeoutExpired):
        _kill(proc)
        raise CollectError("timeout", f"{command} jlist took longer than {timeout:.2f}s") from None
    except OutputTooLarge:
        _kill(proc)
        raise CollectError("parse", f"{command} jlist printed more than {_MAX_OUTPUT} bytes") from None
    except BaseException:  # no orphan Node process left behind, whatever went wrong
        _kill(proc)
        raise
    finally:
        proc.stdout.close()
    if proc.returncode != 0:
        raise CollectError("jlist", f"{command} jlist exited with {proc.returncode}")
    # Older CLIs print warnings (version mismatch, ...) before the JSON array.
    start = out.find(b"[")
    try:
        data = process_list(out[start:]) if start >= 0 else None
    except ValueError:
        data = None
    if not isinstance(data, list):
        raise CollectError("parse", f"{command} jlist did not print a JSON array")
    return data


def _reader(fd: int, end: float):
    """os.read on the pipe, each read waiting at most until `end` (monotonic) for data:
    TimeoutError after it."""
    poll = select.poll()
    poll.register(fd, select.POLLIN)

    def read(n: int) -> bytes:
        left = end - time.monotonic()
        if left <= 0 or not poll.poll(left * 1000):
            raise TimeoutError
        return os.read(fd, n)
    return read


def _kill(proc: subprocess.Popen) -> None:
    # The whole group: a child still holding the pipe would outlive the CLI.
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(_REAP_SECONDS)
    except subprocess.TimeoutExpired:
        pass  # reaped by Popen later
