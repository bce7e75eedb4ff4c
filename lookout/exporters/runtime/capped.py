"""Reading a stream without trusting its length: the one capped reader for child processes
and sockets, so a runaway producer costs at most the cap, never the host's memory."""
from __future__ import annotations

from typing import Callable

_CHUNK = 64 * 1024


class OutputTooLarge(Exception):
    """The stream went on past the cap; what was read is discarded."""


def read_capped(read: Callable[[int], bytes], cap: int) -> bytes:
    """Everything until EOF (`read` returns b""), at most `cap` bytes; raises OutputTooLarge as
    soon as byte cap+1 arrives (the caller stops the producer). `read(n)` is a pipe's or a
    socket's read (`os.read` bound to a descriptor, `sock.recv`): it blocks, so its timeout is
    the caller's (a socket timeout, or a pipe polled first)."""
    chunks, total = [], 0
    while True:
        chunk = read(_CHUNK)
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > cap:
            raise OutputTooLarge(f"more than {cap} bytes")
        chunks.append(chunk)
