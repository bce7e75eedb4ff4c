"""`process_*` metrics about the exporter itself (CPU, memory, open files, start time), unprefixed
as every Go and Python exporter exposes them, so the usual process dashboards and alerts apply.

The same families, names, help texts and arithmetic as prometheus_client's ProcessCollector
(0.26), read here so that the runtime does not import prometheus_client (see exposition.py).
Read from /proc/self; elsewhere nothing is yielded."""
from __future__ import annotations

import os
import resource

from .families import Family
from .metrics import Counter, Family as Rows, Gauge

_PAGESIZE = resource.getpagesize()
try:
    _TICKS = float(os.sysconf("SC_CLK_TCK"))
except (ValueError, OSError):
    _TICKS = 100.0


def _read(path: str) -> bytes:
    """A small /proc file whole, with plain system calls (no buffered file object per scrape)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        chunks = []
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
    finally:
        os.close(fd)


def _boot_time() -> float:
    try:
        for line in _read("/proc/stat").splitlines():
            if line.startswith(b"btime "):
                return float(line.split()[1])
    except OSError:
        pass
    return 0.0


_BTIME = _boot_time()

# prometheus_client's names and help texts; unprefixed (shared), as every exporter shows them.
VIRTUAL = Gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", shared=True)
RESIDENT = Gauge("process_resident_memory_bytes", "Resident memory size in bytes.", shared=True)
START = Gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", shared=True)
CPU = Counter("process_cpu_seconds", "Total user and system CPU time spent in seconds.", shared=True)
OPEN_FDS = Gauge("process_open_fds", "Number of open file descriptors.", shared=True)
MAX_FDS = Gauge("process_max_fds", "Maximum number of open file descriptors.", shared=True)


def process_rows() -> list[Rows]:
    """This process's families as a MetricSet's rows (what runtime.render encodes), read now."""
    if not _BTIME:
        return []
    out: list[Rows] = []
    try:
        parts = _read("/proc/self/stat").split(b")")[-1].split()
        out += [Rows(VIRTUAL, "", [((), float(parts[20]))]),
                Rows(RESIDENT, "", [((), float(parts[21]) * _PAGESIZE)]),
                Rows(START, "", [((), float(parts[19]) / _TICKS + _BTIME)]),
                Rows(CPU, "", [((), float(parts[11]) / _TICKS + float(parts[12]) / _TICKS)])]
    except OSError:
        pass
    try:
        max_fds = next(float(line.split()[3]) for line in _read("/proc/self/limits").splitlines()
                       if line.startswith(b"Max open file"))
        out += [Rows(OPEN_FDS, "", [((), float(len(os.listdir("/proc/self/fd"))))]),
                Rows(MAX_FDS, "", [((), max_fds)])]
    except (OSError, StopIteration):
        pass
    return out


def process_families() -> list[Family]:
    """The same in prometheus_client's shape (Snapshot.collect, and the tests comparing with it)."""
    return [rows.metric() for rows in process_rows()]
