"""The axon wire format that PM2's daemon speaks on `$PM2_HOME/rpc.sock`.

Framing is AMP (npm `amp` 0.3): one meta byte (version << 4 | argument count), then
per argument a big-endian uint32 length and that many bytes. Axon (`amp-message`)
tags each argument: `s:` a string, `j:` JSON, anything else a raw blob. A request
socket appends the message id as the last argument and the reply echoes it.
"""
from __future__ import annotations

import json
import struct
from typing import Any, Callable

VERSION = 1
MAX_ARGS = 15  # four bits of argument count
# A process list is a few KiB per process (pm2_env carries the whole environment);
# anything near this is garbage or a hostile peer, not PM2.
MAX_ARG_BYTES = 32 * 1024 * 1024

_LEN = struct.Struct(">I")


class ProtocolError(Exception):
    pass


class IncompleteRead(EOFError):
    """The stream ended inside a message (`readexactly` got EOF before `expected` bytes)."""

    def __init__(self, partial: bytes, expected: int):
        super().__init__(f"{len(partial)} of {expected} bytes before the stream ended")
        self.partial, self.expected = partial, expected


def pack(arg: Any) -> bytes:
    if isinstance(arg, (bytes, bytearray)):
        return bytes(arg)
    if isinstance(arg, str):
        return b"s:" + arg.encode()
    return b"j:" + json.dumps(arg, separators=(",", ":")).encode()


def unpack(raw: bytes | bytearray, decode: Callable[[memoryview], Any] | None = None) -> Any:
    """One argument's value. `decode` reads a JSON argument (the bytes after `j:`, a memoryview:
    no copy of a reply that may be megabytes) and raises ValueError on bad JSON; by default
    json.loads."""
    if raw[:2] == b"j:":
        try:
            return decode(memoryview(raw)[2:]) if decode is not None else json.loads(raw[2:])
        except ValueError as exc:
            raise ProtocolError(f"bad JSON argument: {exc}") from None
    if raw[:2] == b"s:":
        return raw[2:].decode("utf-8", "replace")
    return raw


def encode(args: list[Any]) -> bytes:
    if len(args) > MAX_ARGS:
        raise ValueError(f"at most {MAX_ARGS} arguments, got {len(args)}")
    parts = [bytes([VERSION << 4 | len(args)])]
    for arg in args:
        body = pack(arg)
        parts.append(_LEN.pack(len(body)))
        parts.append(body)
    return b"".join(parts)


def read_message(readexactly: Callable[[int], bytes | bytearray],
                 decode: Callable[[memoryview], Any] | None = None) -> list[Any]:
    """One whole message, read by `readexactly(n)` (blocking: the client's, which reads into one
    buffer of the argument's size under the call's timeout), its arguments unpacked (JSON ones by
    `decode`, see unpack). `readexactly` raises IncompleteRead on a stream that ends early."""
    meta = readexactly(1)[0]
    if meta >> 4 != VERSION:
        raise ProtocolError(f"unknown AMP version {meta >> 4} (meta byte {meta:#04x})")
    args = []
    for _ in range(meta & 0x0F):
        (length,) = _LEN.unpack(readexactly(4))
        if length > MAX_ARG_BYTES:
            raise ProtocolError(f"argument of {length} bytes exceeds the {MAX_ARG_BYTES} byte limit")
        args.append(unpack(readexactly(length), decode))
    return args
