"""Reading a stream without trusting its length: the one capped reader for child processes
and sockets, so a runaway producer costs at most the cap, never the host's memory."""
from __future__ import annotations

import asyncio

_CHUNK = 64 * 1024


class OutputTooLarge(Exception):
    """The stream went on past the cap; what was read is discarded."""


async def read_capped(stream: asyncio.StreamReader, cap: int) -> bytes:
    """Everything until EOF, at most `cap` bytes; raises OutputTooLarge as soon as byte cap+1
    arrives (the caller stops the producer)."""
    chunks, total = [], 0
    while True:
        chunk = await stream.read(_CHUNK)
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > cap:
            raise OutputTooLarge(f"more than {cap} bytes")
        chunks.append(chunk)
