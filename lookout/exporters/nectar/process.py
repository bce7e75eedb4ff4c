"""The Nectar process on this host: alive, memory, CPU, threads, descriptors."""
from __future__ import annotations

import re
from pathlib import Path

import psutil

from lookout.exporters.runtime import BlockingPool, Collector, Deadline, MetricSet

from .config import ProcessConfig


class ProcessCollector(Collector):
    name = "process"

    def __init__(self, cfg: ProcessConfig):
        self.cfg = cfg
        self.cmdline = re.compile(cfg.cmdline_regex) if cfg.cmdline_regex else None
        self._proc: psutil.Process | None = None
        # Its own thread: never queued behind a frozen database's stuck calls.
        self._pool = BlockingPool("process", 1, max_abandoned=1)

    async def collect(self, out: MetricSet, deadline: Deadline) -> None:
        stats = await self._pool.run(self._sample, timeout=deadline.remaining())
        out.gauge("process_up", "Whether the Nectar process is running.", 1 if stats else 0)
        if not stats:
            return
        out.gauge("process_resident_memory_bytes", "Resident memory of the Nectar process.", stats["rss"])
        out.counter("process_cpu_seconds", "CPU time used by the Nectar process.", stats["cpu"])
        out.gauge("process_threads", "Threads of the Nectar process.", stats["threads"])
        out.gauge("process_open_fds", "Open file descriptors of the Nectar process.", stats["fds"])
        out.gauge("process_start_time_seconds", "When the Nectar process started (Unix time).", stats["start"])

    def _sample(self) -> dict | None:
        proc = self._find()
        if proc is None:
            return None
        try:
            with proc.oneshot():
                cpu = proc.cpu_times()
                return {"rss": proc.memory_info().rss, "cpu": cpu.user + cpu.system,
                        "threads": proc.num_threads(), "fds": proc.num_fds(), "start": proc.create_time()}
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            self._proc = None
            return None

    def _find(self) -> psutil.Process | None:
        # Re-use the last match while it lives; scanning the process table every scrape
        # is the expensive part on a busy host.
        if self._proc is not None and self._proc.is_running():
            return self._proc
        self._proc = None
        if self.cfg.pidfile:
            try:
                self._proc = psutil.Process(int(Path(self.cfg.pidfile).read_text().strip()))
            except (OSError, ValueError, psutil.NoSuchProcess):
                return None
            return self._proc
        me = psutil.Process().pid
        for proc in psutil.process_iter(["name", "cmdline"]):
            if proc.pid == me:
                continue
            if self.cfg.name and proc.info["name"] == self.cfg.name:
                self._proc = proc
                break
            if self.cmdline and self.cmdline.search(" ".join(proc.info["cmdline"] or ())):
                self._proc = proc
                break
        return self._proc
