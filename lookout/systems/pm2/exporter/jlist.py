"""The opt-in fallback: `pm2 jlist`, for a daemon whose RPC replies we cannot read.

It costs a whole Node process per call (about 184 ms and 58 MB on the sync server's
host), and PM2's CLI starts a daemon when none answers, so it only ever runs after the
RPC socket accepted a connection: a down daemon is reported as down, never replaced.
"""
from __future__ import annotations

import asyncio
import os
import signal
from typing import Any

from lookout.exporters.runtime import CollectError
from lookout.exporters.runtime.bounded import OutputTooLarge, read_capped

from .reply import process_list

_MAX_OUTPUT = 32 * 1024 * 1024


async def jlist(command: str, pm2_home: str, timeout: float) -> list[Any]:
    env = {**os.environ, "PM2_HOME": pm2_home}
    try:
        proc = await asyncio.create_subprocess_exec(
            command, "jlist", env=env, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
            start_new_session=True)  # its own process group: killed with whatever it forked
    except OSError as exc:
        raise CollectError("jlist", f"cannot run {command} jlist: {exc.strerror or exc}") from None
    try:
        async with asyncio.timeout(timeout):
            out = await read_capped(proc.stdout, _MAX_OUTPUT)
            await proc.wait()
    except TimeoutError:
        await _kill(proc)
        raise CollectError("timeout", f"{command} jlist took longer than {timeout:.2f}s") from None
    except OutputTooLarge:
        await _kill(proc)
        raise CollectError("parse", f"{command} jlist printed more than {_MAX_OUTPUT} bytes") from None
    except BaseException:  # given up on by the runtime: no orphan Node process left behind
        _kill_group(proc)
        raise
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


async def _kill(proc) -> None:
    _kill_group(proc)
    # Drain what is left in the pipe (at most a pipe's buffer now that the writers are dead):
    # asyncio's wait() returns only once the pipe reached EOF, and a paused reader never does.
    while await proc.stdout.read(65536):
        pass
    await proc.wait()


def _kill_group(proc) -> None:
    # The whole group: a child still holding the pipe would keep wait() from returning.
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
