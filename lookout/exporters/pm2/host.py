"""The host's memory: the "free RAM < 500 MB / < 100 MB" signal of runbook 003."""
from __future__ import annotations

import psutil

from lookout.exporters.runtime import Collector, Deadline, MetricSet


class HostCollector(Collector):
    name = "host"

    async def collect(self, out: MetricSet, deadline: Deadline) -> None:
        # Both read /proc/meminfo (host_statistics on macOS): microseconds, so no thread.
        mem = psutil.virtual_memory()
        swap = psutil.swap_memory()
        out.gauge("host_memory_available_bytes",
                  "Memory available to new processes without swapping (psutil available).", mem.available)
        out.gauge("host_memory_total_bytes", "Physical memory of the host.", mem.total)
        out.gauge("host_swap_used_bytes", "Swap in use on the host.", swap.used)
