"""Follow a log file the way `tail -F` does, counting each complete line exactly once.

Survives rotation by rename (the old file is read to its end through the descriptor we
still hold, then the new one from its start) and truncation in place (copytruncate).
Reading happens when a scrape asks, so an idle exporter costs nothing.
"""
from __future__ import annotations

import os
import re

from .collector import CollectError

_MAX_READ = 8 * 1024 * 1024  # per call: a burst larger than this is finished next scrape
_MAX_LINE = 1024 * 1024  # longer lines are cut there and counted once


class FileTail:
    def __init__(self, path: str, from_end: bool = True):
        self.path = path
        self._fd: int | None = None
        self._ino: tuple[int, int] | None = None
        self._offset = 0
        self._partial = b""
        self._first_open = from_end

    def read_lines(self) -> list[str]:
        lines: list[bytes] = []
        if self._fd is None and not self._open():
            return []
        lines += self._drain()
        try:
            st = os.stat(self.path)
            rotated = (st.st_dev, st.st_ino) != self._ino
        except FileNotFoundError:
            rotated = False  # renamed away and not yet recreated: keep reading the old one
        if rotated:
            self._close()
            if self._open():
                lines += self._drain()
        return [line.decode("utf-8", "replace") for line in lines]

    def _open(self) -> bool:
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            self._first_open = False  # absent at start: when it appears, all of it is new
            return False
        except PermissionError as exc:
            # A log we may not read is blindness, not silence: counting nothing here would
            # report success while every alert on these lines could never fire.
            raise CollectError("error", f"cannot read log file {self.path}: permission denied") from exc
        st = os.fstat(fd)
        self._fd, self._ino = fd, (st.st_dev, st.st_ino)
        # Only the very first file starts at its end: history before the exporter started is
        # not news. A file that appears later (after rotation) is read from its start.
        self._offset = st.st_size if self._first_open else 0
        self._first_open = False
        self._partial = b""
        return True

    def _drain(self) -> list[bytes]:
        assert self._fd is not None
        size = os.fstat(self._fd).st_size
        if size < self._offset:  # truncated in place
            self._offset, self._partial = 0, b""
        data = os.pread(self._fd, min(size - self._offset, _MAX_READ), self._offset) if size > self._offset else b""
        self._offset += len(data)
        chunks = (self._partial + data).split(b"\n")
        self._partial = chunks.pop()
        if len(self._partial) > _MAX_LINE:
            # A "line" that never ends (a binary file, a runaway writer) is cut, not kept growing.
            chunks.append(self._partial[:_MAX_LINE])
            self._partial = b""
        return chunks

    def _close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
        self._fd = None

    def close(self) -> None:
        self._close()


class PatternCounter:
    """Counts lines matching each named pattern; every name is reported from the start, at 0."""

    def __init__(self, patterns: dict[str, str]):
        self.patterns = {name: re.compile(regex) for name, regex in patterns.items()}
        self.counts = dict.fromkeys(self.patterns, 0)

    def feed(self, lines: list[str]) -> None:
        for line in lines:
            for name, regex in self.patterns.items():
                if regex.search(line):
                    self.counts[name] += 1
