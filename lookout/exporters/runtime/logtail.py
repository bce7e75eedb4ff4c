"""Follow a log file the way `tail -F` does, counting each complete line exactly once.

Survives rotation by rename (the old file is read to its end through the descriptor we
still hold, then the new one from its start), a file replaced between two reads (the same),
truncation in place (copytruncate) and a file truncated and regrown past the old offset
before the next read: the bytes just before the offset, and the file's first bytes, are
remembered and compared at each read; if either changed, the file was rewritten and is read
from its start. Reading happens when a scrape asks, so an idle exporter costs nothing.

After a truncation the lines written between the last read and the truncation are only in
the copy: the copy is looked for beside the file (logrotate's `app.log.1` or
`app.log-DATE`, pm2-logrotate's `app__DATE.log`: a name starting with the file's stem,
modified since the last read) and recognised by the same remembered bytes; its part past the
old offset is read first.

What no reader of the file can guarantee (docs/deploying.md, bench/logtail_bench.py):
- lines written between logrotate's copy and its truncate are in neither file;
- a copy compressed or moved elsewhere before the next read cannot be found;
- a file that was empty at the last read (nothing to recognise its copy by) and was written to
  and copy-truncated before the next read: those lines are only in the copy;
- a file truncated and regrown with byte-identical content around the old offset and at its
  start (a log of identical lines) looks unchanged, and is read on from the old offset.
"""
from __future__ import annotations

import os
import re
import threading
import time

from .collector import CollectError

_MAX_READ = 8 * 1024 * 1024  # per call: a burst larger than this is finished next scrape
_MAX_LINE = 1024 * 1024  # longer lines are cut there and counted once
_MARK = 64  # bytes remembered before the offset and at the file's start


class FileTail:
    """One log file's new complete lines at each `read_lines`.

    Thread-safe: runs of one collector may overlap (a short scrape while a long one still
    runs), and each line goes to exactly one of them. A read that cannot start within its
    `timeout` (another one stuck on a hung mount) is CollectError("timeout"), not a second
    thread stuck behind the first.
    """

    def __init__(self, path: str, from_end: bool = True):
        self.path = path
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._ino: tuple[int, int] | None = None
        self._offset = 0
        self._partial = b""
        self._first_open = from_end
        self._head = b""   # the file's first bytes, up to _MARK
        self._mark = b""   # the bytes just before _offset, up to _MARK
        self._read_at = 0.0  # wall clock of the last read (copies modified since are candidates)

    def read_lines(self, timeout: float | None = None) -> list[str]:
        """The complete lines written since the last read, decoded (invalid UTF-8 replaced);
        `timeout` (seconds, None: no limit) bounds the wait for a read still going."""
        if not self._lock.acquire(timeout=-1 if timeout is None else max(timeout, 0.0)):
            raise CollectError("timeout", f"an earlier read of {self.path} is still going")
        try:
            return self._read_lines()
        finally:
            self._lock.release()

    def _read_lines(self) -> list[str]:
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
        self._remember()
        return True

    def _remember(self) -> None:
        start = max(self._offset - _MARK, 0)
        self._mark = os.pread(self._fd, self._offset - start, start) if self._offset else b""
        self._head = os.pread(self._fd, min(self._offset, _MARK), 0) if self._offset else b""

    def _rewritten(self, size: int) -> bool:
        """Truncated (and maybe regrown) since the last read."""
        if size < self._offset:
            return True
        if not self._offset:
            return False
        start = self._offset - len(self._mark)
        return (os.pread(self._fd, len(self._mark), start) != self._mark
                or os.pread(self._fd, len(self._head), 0) != self._head)

    def _drain(self) -> list[bytes]:
        assert self._fd is not None
        size = os.fstat(self._fd).st_size
        copied: list[bytes] = []
        if self._rewritten(size):  # truncated in place, maybe regrown past the old offset
            copied = self._from_copy()
            self._offset, self._partial, self._mark, self._head = 0, b"", b"", b""
        self._read_at = time.time()
        data = os.pread(self._fd, min(size - self._offset, _MAX_READ), self._offset) if size > self._offset else b""
        self._offset += len(data)
        if data:
            self._mark = (self._mark + data)[-_MARK:]
            if len(self._head) < _MARK:
                self._head = os.pread(self._fd, min(self._offset, _MARK), 0)
        return copied + self._split(data)

    def _split(self, data: bytes) -> list[bytes]:
        # A writer without O_APPEND goes on at its old offset after a copytruncate, leaving a
        # hole of NUL bytes before its next line (logrotate/logrotate#486): not part of a line.
        chunks = (self._partial + data).split(b"\n")
        chunks = [c.lstrip(b"\0") if c[:1] == b"\0" else c for c in chunks]
        self._partial = chunks.pop()
        if len(self._partial) > _MAX_LINE:
            # A "line" that never ends (a binary file, a runaway writer) is cut, not kept growing.
            chunks.append(self._partial[:_MAX_LINE])
            self._partial = b""
        return chunks

    def _from_copy(self) -> list[bytes]:
        """The complete lines past the old offset in the copy a copytruncate left beside the
        file, if one is found that holds the same bytes before that offset."""
        if not self._offset:
            return []
        folder, name = os.path.split(self.path)
        stem = name.rsplit(".", 1)[0] if "." in name else name
        try:
            names = [n for n in os.listdir(folder or ".") if n.startswith(stem) and n != name]
        except OSError:
            return []
        candidates = []
        for n in names:
            try:
                st = os.stat(os.path.join(folder, n))
            except OSError:
                continue
            if st.st_mtime >= self._read_at - 1 and st.st_size >= self._offset:
                candidates.append((st.st_mtime, n))
        for _, n in sorted(candidates, reverse=True)[:3]:
            try:
                fd = os.open(os.path.join(folder, n), os.O_RDONLY)
            except OSError:
                continue
            try:
                start = self._offset - len(self._mark)
                if os.pread(fd, len(self._mark), start) != self._mark or \
                        os.pread(fd, len(self._head), 0) != self._head:
                    continue
                rest = os.pread(fd, _MAX_READ, self._offset)
            finally:
                os.close(fd)
            lines = self._split(rest)
            self._partial = b""  # the copy's unfinished last line was cut by the truncation
            return lines
        return []

    def _close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
        self._fd = None

    def close(self) -> None:
        """At shutdown: a read stuck on a hung mount holds it up at most half a second."""
        held = self._lock.acquire(timeout=0.5)
        try:
            self._close()
        finally:
            if held:
                self._lock.release()


class PatternCounter:
    """Counts lines matching each named pattern; every name is reported from the start, at 0.
    `feed` may be called from overlapping runs: the counts are added under a lock."""

    def __init__(self, patterns: dict[str, str]):
        self.patterns = {name: re.compile(regex) for name, regex in patterns.items()}
        self.counts = dict.fromkeys(self.patterns, 0)
        self._lock = threading.Lock()

    def feed(self, lines: list[str]) -> None:
        found = dict.fromkeys(self.patterns, 0)
        for line in lines:
            for name, regex in self.patterns.items():
                if regex.search(line):
                    found[name] += 1
        with self._lock:
            for name, n in found.items():
                self.counts[name] += n
