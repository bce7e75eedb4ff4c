"""The host's memory: the "free RAM < 500 MB / < 100 MB" signal of runbook 003.

On Linux the three figures are read from /proc/meminfo, the file psutil itself reads there
(MemAvailable, MemTotal, SwapTotal - SwapFree: psutil's virtual_memory().available and .total
and swap_memory().used). psutil is imported only on other systems (the Mac Mini of runbook 003,
where it asks the kernel's host_statistics): with the datetime and subprocess modules it brings,
it costs about 1.9 MB of resident memory (issue 24), which docs/exporters/pm2.md states.
"""
from __future__ import annotations

import sys

from lookout.exporters.runtime import CollectError, Collector, Deadline, MetricSet
from lookout.exporters.runtime.metrics import Gauge


AVAILABLE = Gauge("host_memory_available_bytes", "Memory available to new processes without swapping (psutil available).")
TOTAL = Gauge("host_memory_total_bytes", "Physical memory of the host.")
SWAP_USED = Gauge("host_swap_used_bytes", "Swap in use on the host.")

MEMINFO = "/proc/meminfo"


def meminfo(path: str = MEMINFO) -> tuple[int, int, int]:
    """(available, total, swap used) bytes from a /proc/meminfo file; KeyError or ValueError when
    a line it needs is missing or malformed (kernels before 3.14 have no MemAvailable)."""
    with open(path, "rb") as f:
        fields = {}
        for line in f:
            name, _, rest = line.partition(b":")
            fields[name] = rest
    kib = {k: int(fields[k].split()[0]) * 1024 for k in (b"MemAvailable", b"MemTotal", b"SwapTotal", b"SwapFree")}
    return kib[b"MemAvailable"], kib[b"MemTotal"], kib[b"SwapTotal"] - kib[b"SwapFree"]


class HostCollector(Collector):
    name = "host"
    metrics = (AVAILABLE, TOTAL, SWAP_USED)

    def __init__(self, platform: str = sys.platform):
        self.linux = platform.startswith("linux")

    def collect(self, out: MetricSet, deadline: Deadline) -> None:
        # A local file or a kernel call: microseconds, nothing to bound.
        if self.linux:
            try:
                available, total, swap_used = meminfo(MEMINFO)
            except OSError as exc:
                raise CollectError("error", f"cannot read {MEMINFO}: {exc.strerror}") from None
            except (KeyError, ValueError, IndexError) as exc:
                raise CollectError("parse", f"{MEMINFO}: {type(exc).__name__} {exc}") from None
        else:
            import psutil

            mem, swap = psutil.virtual_memory(), psutil.swap_memory()
            available, total, swap_used = mem.available, mem.total, swap.used
        out.add(AVAILABLE, available)
        out.add(TOTAL, total)
        out.add(SWAP_USED, swap_used)
