"""The host's memory: the "free RAM < 500 MB / < 100 MB" signal of runbook 003."""
from __future__ import annotations

import psutil

from lookout.exporters.runtime import Collector, Deadline, MetricSet
from lookout.exporters.runtime.metrics import Gauge


AVAILABLE = Gauge("host_memory_available_bytes", "Memory available to new processes without swapping (psutil available).")
TOTAL = Gauge("host_memory_total_bytes", "Physical memory of the host.")
SWAP_USED = Gauge("host_swap_used_bytes", "Swap in use on the host.")


class HostCollector(Collector):
    name = "host"
    metrics = (AVAILABLE, TOTAL, SWAP_USED)

    def collect(self, out: MetricSet, deadline: Deadline) -> None:
        # Both read /proc/meminfo (host_statistics on macOS): microseconds, nothing to bound.
        mem = psutil.virtual_memory()
        swap = psutil.swap_memory()
        out.add(AVAILABLE, mem.available)
        out.add(TOTAL, mem.total)
        out.add(SWAP_USED, swap.used)
