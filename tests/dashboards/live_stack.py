"""Every Lookout exporter against a real backend (or its simulator), each with some activity,
all started here on loopback and stopped by `Stack.close()`.

What each system needs to fill its dashboard is its own `start(stack)`, in
lookout/systems/<key>/tests/live.py (tests/systems.py), built from the harnesses its own tests
use; this module is the stack they share (workdir, exporters, feeders, stopping).
"""
from __future__ import annotations

import importlib.util
import sys
import threading
import time
from pathlib import Path

import yaml

from lookout.devstack.proc import ExporterProcess, wait_until
from lookout.systems import KEYS
from tests.systems import rows

ROOT = Path(__file__).resolve().parents[2]
EXPORTERS = KEYS


def missing_exporters() -> list[str]:
    return [ns for ns in EXPORTERS if importlib.util.find_spec(f"lookout.systems.{ns}.exporter.__main__") is None]


class Stack:
    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.targets: dict[str, list[str]] = {}
        self._stops: list = []
        self._feeders: list = []
        self._halt = threading.Event()
        self._feeder_thread = threading.Thread(target=self._feed, daemon=True)

    # --- plumbing ------------------------------------------------------------------------
    def later(self, stop) -> None:
        self._stops.append(stop)

    def exporter(self, ns: str, config: dict, env: dict | None = None) -> ExporterProcess:
        path = self.workdir / f"{ns}.yml"
        path.write_text(yaml.safe_dump(config))
        proc = ExporterProcess(ns, path, self.workdir, env=env)
        self.later(proc.stop)
        proc.wait_ready()
        self.targets[ns] = [f"127.0.0.1:{proc.port}"]
        return proc

    def every_half_second(self, feed) -> None:
        self._feeders.append(feed)

    def _feed(self) -> None:
        while not self._halt.wait(0.5):
            for feed in self._feeders:
                try:
                    feed()
                except Exception as exc:  # a backend hiccup must not end the activity
                    print(f"live stack feeder: {exc!r}", file=sys.stderr)

    def start_feeding(self) -> None:
        self._feeder_thread.start()

    def close(self) -> None:
        self._halt.set()
        if self._feeder_thread.is_alive():
            self._feeder_thread.join(10)
        for stop in reversed(self._stops):
            try:
                stop()
            except Exception as exc:  # keep stopping the rest
                print(f"live stack: stopping failed: {exc!r}", file=sys.stderr)


def start(workdir: Path) -> Stack:
    stack = Stack(workdir)
    try:
        for live in rows("live").values():
            live.start(stack)
        stack.start_feeding()
    except BaseException:
        stack.close()
        raise
    return stack


def settle(prometheus, jobs: list[str], samples: int = 6, timeout: float = 90) -> None:
    """Wait until Prometheus has `samples` successful scrapes of every job, so every range
    function and recording rule has at least two points to work with."""
    def enough():
        answer = prometheus.query("sum by (job) (sum_over_time(up[5m]))")["data"]["result"]
        got = {r["metric"]["job"]: float(r["value"][1]) for r in answer}
        return all(got.get(job, 0) >= samples for job in jobs)
    wait_until(enough, timeout, interval=0.5, what=f"{samples} scrapes of {jobs}")
    time.sleep(2)  # one more rule evaluation after the last of them
