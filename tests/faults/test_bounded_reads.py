"""Bounded reads (issue 12, case 8): an answer larger than its cap is refused while reading,
never read whole first."""
from __future__ import annotations

import subprocess
import sys
import textwrap

from lookout.devstack.proc import ROOT

# Stand-in for a runaway `pm2 jlist` (a fake: only the size of its output matters here):
# 64 MiB of a JSON array, written in 1 MiB pieces.
FAKE_PM2 = "#!/bin/sh\nhead -c 67108864 /dev/zero | tr '\\\\0' ' ' | sed '1s/^/[/'\n"

PROBE = textwrap.dedent("""
    import resource, sys
    from lookout.systems.pm2.exporter.jlist import jlist
    from lookout.exporters.runtime import CollectError
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        jlist(sys.argv[1], "/nonexistent", 60)
        print("ACCEPTED")
    except CollectError as exc:
        print("REFUSED", exc.reason, exc)
    print("GROWTH_KIB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
""")


def test_pm2_jlist_output_is_capped_while_reading(tmp_path):
    fake = tmp_path / "pm2"
    fake.write_text(FAKE_PM2)
    fake.chmod(0o755)
    res = subprocess.run([sys.executable, "-c", PROBE, str(fake)], capture_output=True, text=True, cwd=ROOT,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, timeout=120)
    out = res.stdout + res.stderr
    assert "REFUSED" in out and "more than 33554432 bytes" in out, out
    growth_mib = int(out.split("GROWTH_KIB")[1].split()[0]) / 1024
    # The cap is 32 MiB; reading the whole 64 MiB first cost +128 MiB peak.
    assert growth_mib < 48, growth_mib


def test_read_capped_refuses_as_soon_as_the_cap_is_passed_without_waiting_for_the_end():
    """A producer that goes on writing and never closes (a runaway child): the read stops at
    byte cap+1, it does not wait for an end that never comes."""
    import os
    import threading

    import pytest

    from lookout.exporters.runtime.capped import OutputTooLarge, read_capped

    r, w = os.pipe()
    written = []

    def runaway():  # 20 MB, then it closes its end (a reader that waits for the end gets there)
        try:
            for _ in range(20 * 256):
                written.append(os.write(w, b"x" * 4096))
        except OSError:  # the reader closed its end
            pass
        finally:
            os.close(w)

    writer = threading.Thread(target=runaway, daemon=True)
    writer.start()
    try:
        with pytest.raises(OutputTooLarge):
            read_capped(lambda n: os.read(r, n), 100_000)
    finally:
        os.close(r)
        writer.join(10)
    # What the reader let through: the cap, a chunk and the pipe's buffer, not the 20 MB.
    assert sum(written) < 1_000_000, sum(written)
    r, w = os.pipe()
    os.write(w, b"y" * 5000)
    os.close(w)
    assert read_capped(lambda n: os.read(r, n), 5000) == b"y" * 5000  # exactly the cap: kept
    os.close(r)
