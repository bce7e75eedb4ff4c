"""`process_*` metrics about the exporter itself (CPU, memory, open files, start time), unprefixed
as every Go and Python exporter exposes them, so the usual process dashboards and alerts apply.

The same families, names, help texts and arithmetic as prometheus_client's ProcessCollector
(0.26), read here so that the runtime does not import prometheus_client (see exposition.py).
Read from /proc/self; elsewhere nothing is yielded."""
from __future__ import annotations

import os
import resource

from .families import CounterMetricFamily, Family, GaugeMetricFamily

_PAGESIZE = resource.getpagesize()
try:
    _TICKS = float(os.sysconf("SC_CLK_TCK"))
except (ValueError, OSError):
    _TICKS = 100.0


def _boot_time() -> float:
    try:
        with open("/proc/stat", "rb") as stat:
            for line in stat:
                if line.startswith(b"btime "):
                    return float(line.split()[1])
    except OSError:
        pass
    return 0.0


_BTIME = _boot_time()


def _gauge(name: str, doc: str, value: float) -> Family:
    fam = GaugeMetricFamily(name, doc)
    fam.add_metric([], value)
    return fam


def process_families() -> list[Family]:
    if not _BTIME:
        return []
    out: list[Family] = []
    try:
        with open("/proc/self/stat", "rb") as stat:
            parts = stat.read().split(b")")[-1].split()
        out.append(_gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", float(parts[20])))
        out.append(_gauge("process_resident_memory_bytes", "Resident memory size in bytes.",
                          float(parts[21]) * _PAGESIZE))
        out.append(_gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
                          float(parts[19]) / _TICKS + _BTIME))
        cpu = CounterMetricFamily("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.")
        cpu.add_metric([], float(parts[11]) / _TICKS + float(parts[12]) / _TICKS)
        out.append(cpu)
    except OSError:
        pass
    try:
        with open("/proc/self/limits", "rb") as limits:
            max_fds = next(float(line.split()[3]) for line in limits if line.startswith(b"Max open file"))
        out.append(_gauge("process_open_fds", "Number of open file descriptors.", len(os.listdir("/proc/self/fd"))))
        out.append(_gauge("process_max_fds", "Maximum number of open file descriptors.", max_fds))
    except (OSError, StopIteration):
        pass
    return out
