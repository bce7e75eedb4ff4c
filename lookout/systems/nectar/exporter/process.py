"""The Nectar process on this host: alive, memory, CPU, threads, descriptors."""
from __future__ import annotations

import re
import threading

import psutil

from lookout.exporters.runtime.held import held
from lookout.exporters.runtime import Collector, Deadline, MetricSet
from lookout.exporters.runtime.metrics import Counter, Gauge

from .config import ProcessConfig


UP = Gauge("process_up", "Whether the Nectar process is running.")
RSS = Gauge("process_resident_memory_bytes", "Resident memory of the Nectar process.")
CPU = Counter("process_cpu_seconds", "CPU time used by the Nectar process.")
THREADS = Gauge("process_threads", "Threads of the Nectar process.")
FDS = Gauge("process_open_fds", "Open file descriptors of the Nectar process.")
STARTED = Gauge("process_start_time_seconds", "When the Nectar process started (Unix time).")

class ProcessCollector(Collector):
    name = "process"
    metrics = (UP, RSS, CPU, THREADS, FDS, STARTED,)

    def __init__(self, cfg: ProcessConfig):
        self.cfg = cfg
        self.cmdline = re.compile(cfg.cmdline_regex) if cfg.cmdline_regex else None
        self._proc: psutil.Process | None = None
        # Runs may overlap; the remembered process is theirs to share. (Each run is on a
        # thread of its own: never queued behind a frozen database's stuck calls.)
        self._lock = threading.Lock()

    def collect(self, out: MetricSet, deadline: Deadline) -> None:
        with held(self._lock, deadline, "an earlier reading of the Nectar process is still running"):
            stats = self._sample()
        out.add(UP, 1 if stats else 0)
        if not stats:
            return
        out.add(RSS, stats["rss"])
        out.add(CPU, stats["cpu"])
        out.add(THREADS, stats["threads"])
        out.add(FDS, stats["fds"])
        out.add(STARTED, stats["start"])

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
                with open(self.cfg.pidfile) as f:  # not pathlib: nothing else imports it before the first scrape
                    self._proc = psutil.Process(int(f.read().strip()))
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
