"""Issue 22: the tail survives rename, copytruncate, truncate-and-regrow and a file replaced
between two reads, counting each complete line once. The rotations are Debian's logrotate
where it does them (create, copytruncate), else the same system calls it makes."""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from lookout.exporters.runtime.logtail import FileTail


def write(path, first: int, count: int, tag: str = "line") -> list[str]:
    lines = [f"2026-12-06T10:00:{n % 60:02d} [BiDirectionalSync] {tag} {n}" for n in range(first, first + count)]
    with open(path, "a") as f:
        f.write("".join(line + "\n" for line in lines))
    return lines


def logrotate(tmp_path, log, mode: str) -> None:
    binary = shutil.which("logrotate") or "/usr/sbin/logrotate"
    if not os.path.exists(binary):
        pytest.fail("logrotate not installed (scripts/install-deps)")
    conf = tmp_path / "logrotate.conf"
    conf.write_text(f"{log} {{\n  rotate 3\n  {mode}\n  missingok\n  nocompress\n}}\n")
    subprocess.run([binary, "-f", "-s", str(tmp_path / "state"), str(conf)], check=True, timeout=30)


@pytest.mark.parametrize("mode", ["create", "copytruncate"])
def test_logrotate_each_line_once(tmp_path, mode):
    log = tmp_path / "app.log"
    write(log, 0, 5)  # history before the tail starts: not news
    tail = FileTail(str(log))
    assert tail.read_lines() == []
    expected = write(log, 5, 10)
    seen = tail.read_lines()
    logrotate(tmp_path, log, mode)
    if mode == "create":  # the writer keeps its descriptor on the renamed file a moment longer
        expected += write(tmp_path / "app.log.1", 15, 3)
    expected += write(log, 18, 10)
    seen += tail.read_lines()
    expected += write(log, 28, 4)
    seen += tail.read_lines()
    assert seen == expected


def test_copytruncate_lines_written_after_the_last_read_come_from_the_copy(tmp_path):
    """The lines between the last read and logrotate's truncate are only in the copy."""
    log = tmp_path / "app.log"
    tail = FileTail(str(log), from_end=False)
    expected = write(log, 0, 6)
    seen = tail.read_lines()
    expected += write(log, 6, 9)     # not read before the rotation
    logrotate(tmp_path, log, "copytruncate")
    expected += write(log, 15, 3)
    seen += tail.read_lines()
    assert seen == expected


def test_truncated_and_regrown_past_the_old_offset(tmp_path):
    log = tmp_path / "app.log"
    tail = FileTail(str(log), from_end=False)
    expected = write(log, 0, 10)
    seen = tail.read_lines()
    os.truncate(log, 0)
    # More than was there before the truncation, between two reads.
    expected += write(log, 100, 40, tag="after truncation")
    seen += tail.read_lines()
    assert seen == expected


def test_a_file_replaced_between_reads_is_read_from_its_start(tmp_path):
    log = tmp_path / "app.log"
    tail = FileTail(str(log), from_end=False)
    expected = write(log, 0, 3)
    seen = tail.read_lines()
    expected += write(log, 3, 2)           # written before the replacement: still read, once
    fresh = tmp_path / "app.log.new"
    expected += write(fresh, 50, 7, tag="new file")
    os.replace(fresh, log)
    seen += tail.read_lines()
    expected += write(log, 57, 2, tag="new file")
    seen += tail.read_lines()
    assert seen == expected


def test_a_writer_without_o_append_after_copytruncate(tmp_path):
    """The writer keeps its offset after the truncate (logrotate/logrotate#486): the file
    regrows with a hole of NUL bytes up to where it was; its new lines are counted once."""
    log = tmp_path / "app.log"
    log.write_text("")
    tail = FileTail(str(log), from_end=False)
    fd = os.open(log, os.O_WRONLY)  # no O_APPEND, like a program that opened its log with "w"
    try:
        lines = [f"2026-12-06T10:00:{n:02d} [BiDirectionalSync] Sync completed in 1{n}ms" for n in range(8)]
        os.write(fd, "".join(line + "\n" for line in lines[:5]).encode())
        seen = tail.read_lines()
        logrotate(tmp_path, log, "copytruncate")
        os.write(fd, "".join(line + "\n" for line in lines[5:]).encode())  # at the old offset
        assert os.path.getsize(log) > len("".join(line + "\n" for line in lines[5:]))  # the hole
        seen += tail.read_lines()
    finally:
        os.close(fd)
    assert seen == lines
