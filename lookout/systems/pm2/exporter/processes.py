"""PM2's process list, read from the daemon, as per-process metrics.

Labels are `name` and `pm_id` only: never the pid (it changes on every restart) and
nothing from pm2_env's copy of the process environment (secrets live there).
"""
from __future__ import annotations

import threading
import time
from itertools import compress, repeat
from operator import is_not, itemgetter
from typing import Any

from lookout.exporters.runtime import CollectError, Collector, Deadline, MetricSet
from lookout.exporters.runtime.logs import get_logger
from lookout.exporters.runtime.metrics import Counter, Gauge, Labels, Quantiles, StateSet
from lookout.exporters.runtime.shared import SharedCall

from .config import DaemonConfig
from lookout.pm2rpc import DaemonDown, RpcClient
from .reply import monitor_data
from .units import _quantity, number, quantity

log = get_logger("lookout.pm2")

# PM2's statuses (constants.js), "waiting restart" spelled as a label value.
STATES = ("online", "stopping", "stopped", "launching", "errored", "one-launch-status", "waiting_restart")

# axm_monitor entries by their stable `type` id, with @pm2/io's display name as a fallback
# for agents that send no id.
_AXM = (
    ("internal/v8/heap/used", "Used Heap Size", "heap_used"),
    ("internal/v8/heap/total", "Heap Size", "heap_total"),
    ("internal/v8/heap/usage", "Heap Usage", "heap_usage"),
    ("internal/libuv/latency/p50", "Event Loop Latency", "latency_p50"),
    ("internal/libuv/latency/p95", "Event Loop Latency p95", "latency_p95"),
    ("internal/libuv/handles", "Active handles", "handles"),
    ("internal/libuv/requests", "Active requests", "requests"),
)


class ProcessSource:
    """Reads the process list the way `pm2 jlist` does, without a Node process, and only the
    fields the collectors read (reply.py).

    One read per scrape: the collectors of one collection share its deadline, and every
    `read` under the same deadline gets the answer of the same call to the daemon (issue 24);
    the first caller makes it, on its own thread.

    `readers`: how many collectors read each collection's list (0: not counted). Once that many
    have taken it, the shared call no longer holds it: SharedCall remembers a collection's
    answer until a second past its deadline, and scraped back to back it held the last four
    lists (about 0.7 MB of objects each at 200 apps, issue 24) for nobody."""

    def __init__(self, cfg: DaemonConfig, readers: int = 0):
        self.cfg = cfg
        self.home = cfg.resolved_home()
        self.rpc = RpcClient(cfg.socket_path())
        self.readers = readers
        self._shared = SharedCall()

    def read(self, deadline: Deadline) -> list[Any]:
        """The process list (dicts cut down by reply.py); raises DaemonDown or CollectError."""
        held = self._shared.get(deadline, lambda: _Held(self._read(deadline), self.readers), deadline.remaining())
        procs = held.take()
        # A reader beyond `readers` (not expected: each collector reads once per collection)
        # asks again rather than getting nothing.
        return procs if procs is not None else self._read(deadline)

    def _read(self, deadline: Deadline) -> list[Any]:
        timeout = min(self.cfg.timeout_seconds, deadline.remaining())
        try:
            reply = self.rpc.call("getMonitorData", {}, timeout, decode=monitor_data)
            procs = reply[0] if reply else None
            if not isinstance(procs, list):
                raise CollectError("protocol", "getMonitorData did not return a process list")
            return procs
        except DaemonDown:
            raise  # jlist would start a new daemon: down is down
        except CollectError as exc:
            if not self.cfg.jlist_fallback or exc.reason not in ("protocol", "query"):
                raise
            log.warning("RPC reply unreadable, falling back to pm2 jlist",
                        extra={"fields": {"err": str(exc)}})
            from .jlist import jlist  # opt-in: subprocess is loaded only when it is used
            return jlist(self.cfg.pm2_command, self.home, max(deadline.remaining() - 0.05, 0.01))


class _Held:
    """One collection's list, let go of once its `readers` have each taken it."""

    __slots__ = ("procs", "left", "lock")

    def __init__(self, procs: list[Any], readers: int):
        self.procs, self.left, self.lock = procs, readers, threading.Lock()

    def take(self) -> list[Any] | None:
        with self.lock:
            procs = self.procs
            if self.left > 0:
                self.left -= 1
                if not self.left:
                    self.procs = None
            return procs


_L = ("name", "pm_id")
PROCESSES = Gauge("processes", "Processes PM2 manages, labelled or not.")
STATUS = StateSet("process_status", "PM2 status of the process.", _L, states=STATES)
UP = Gauge("process_up", "1 when PM2 reports the process online.", _L)
RESTARTS = Counter("process_restarts", "Restarts PM2 made (restart_time).", _L)
UNSTABLE = Counter("process_unstable_restarts",
                   "Restarts within min_uptime of the start (PM2 resets it when it gives up).", _L)
MEMORY = Gauge("process_memory_bytes", "Resident memory as PM2 measures it.", _L)
CPU = Gauge("process_cpu_ratio", "CPU use as PM2 measures it; 1.0 is one core.", _L)
STARTED = Gauge("process_start_time_seconds", "When PM2 last started the process (Unix time).", _L)
UPTIME = Gauge("process_uptime_seconds", "Seconds since the last start; 0 when not online.", _L)
MEMORY_LIMIT = Gauge("process_memory_limit_bytes", "max_memory_restart: PM2 restarts the process above this.", _L)
HEAP_USED = Gauge("process_heap_used_bytes", "V8 heap used, from axm_monitor.", _L)
HEAP_TOTAL = Gauge("process_heap_total_bytes", "V8 heap size, from axm_monitor.", _L)
HEAP_USAGE = Gauge("process_heap_usage_ratio", "V8 heap used / heap size, from axm_monitor.", _L)
# @pm2/io ships precomputed percentiles and no count or sum: a summary of quantiles only.
LOOP_LATENCY = Quantiles("process_event_loop_latency_seconds", "Event-loop latency percentile, from axm_monitor.", _L)
HANDLES = Gauge("process_active_handles", "libuv active handles, from axm_monitor.", _L)
REQUESTS = Gauge("process_active_requests", "libuv active requests, from axm_monitor.", _L)
EXPECTED = Gauge("expected_process_instances",
                 "Processes PM2 reports under a name listed in daemon.expected_processes; 0: absent altogether"
                 " (deleted, or lost with a daemon that was replaced).", ("name",))


class ProcessesCollector(Collector):
    name = "processes"
    critical = True
    metrics = (PROCESSES, STATUS, UP, RESTARTS, UNSTABLE, MEMORY, CPU, STARTED, UPTIME, MEMORY_LIMIT,
               HEAP_USED, HEAP_TOTAL, HEAP_USAGE, LOOP_LATENCY, HANDLES, REQUESTS, EXPECTED)

    def __init__(self, source: ProcessSource, max_processes: int, expected: list[str] | tuple = ()):
        self.source = source
        self.max_processes = max_processes
        self.expected = tuple(expected)
        # The label sets of the last scrape's processes, by (name, pm_id): checked and built once
        # while the process is listed, not once per scrape.
        self._labels: dict[tuple, Labels] = {}

    def collect(self, out: MetricSet, deadline: Deadline) -> None:
        # A daemon that does not answer fails this critical collector: pm2_up 0 (PM2DaemonDown).
        procs = self.source.read(deadline)
        procs = [p for p in procs if isinstance(p, dict)]
        out.add(PROCESSES, len(procs))
        procs.sort(key=_pm_id_order)
        now = time.time()
        listed = procs[: self.max_processes]
        # One row per process (its value for each of _PER_PROCESS, None: no sample), read as
        # one column per family.
        known, self._labels = self._labels, {}
        rows = [process_samples(proc, now, known, self._labels) for proc in listed]
        labels = [row[0] for row in rows]
        columns = []
        for place, (desc, values) in enumerate(zip(_PER_PROCESS, list(zip(*rows))[1:])):
            has = list(map(is_not, values, repeat(None)))
            if True in has:
                columns.append((has.index(True), place, desc, values, has))
        # Each family once, with all its samples; in the order a family first appears (the first
        # process that has it, then _PER_PROCESS's order): the exposition add() per sample wrote.
        columns.sort(key=itemgetter(0, 1))
        for _, _, desc, values, has in columns:
            if False in has:
                out.add_many(desc, list(compress(labels, has)), list(compress(values, has)))
            else:
                out.add_many(desc, labels, values)
        # A process that is gone has no status at all: only the configured names can say so.
        if self.expected:
            names = [_name(p) for p in procs]
            for name in self.expected:
                out.add(EXPECTED, names.count(name), name=name)


def _pm_id_order(proc: dict) -> tuple:
    pm_id = proc.get("pm_id")
    return (0, pm_id, "") if isinstance(pm_id, int) else (1, 0, str(pm_id))


def _name(proc: dict) -> str:
    env = proc.get("pm2_env") if isinstance(proc.get("pm2_env"), dict) else {}
    return str(proc.get("name") or env.get("name") or "")


# The per-process families, in the order of process_samples' row.
_PER_PROCESS = (STATUS, UP, RESTARTS, UNSTABLE, MEMORY, CPU, STARTED, UPTIME, MEMORY_LIMIT,
                HEAP_USED, HEAP_TOTAL, HEAP_USAGE, LOOP_LATENCY, HANDLES, REQUESTS)


def process_samples(proc: dict, now: float, known: dict | None = None, kept: dict | None = None) -> tuple:
    """One process's row: (its Labels, then its value for each of _PER_PROCESS in order, None
    where it has no sample). The Labels are checked once (MetricSet.add_many writes a family's
    samples in one call, not one per sample), and taken from `known` (by (name, pm_id)) when
    there; `kept` gets them."""
    env = proc.get("pm2_env")
    if not isinstance(env, dict):
        env = _NONE
    monit = proc.get("monit")
    if not isinstance(monit, dict):
        monit = _NONE
    key = (_name(proc), str(proc.get("pm_id", env.get("pm_id"))))
    at = known.get(key) if known is not None else None
    if at is None:
        at = Labels(UP, name=key[0], pm_id=key[1])
    if kept is not None:
        kept[key] = at
    status = env.get("status")
    status = status.replace(" ", "_") if status.__class__ is str else str(status or "").replace(" ", "_")
    online = status == "online"
    restarts = _number(env.get("restart_time"))
    if restarts is not None and restarts < 0:
        restarts = None
    unstable = _number(env.get("unstable_restarts"))
    if unstable is not None and unstable < 0:
        unstable = None
    cpu = _number(monit.get("cpu"))
    if cpu is not None:
        cpu /= 100
    started = _number(env.get("pm_uptime"))
    if started is not None and started > 0:
        started /= 1000
        uptime = max(now - started, 0.0) if online else 0.0
    else:
        started = uptime = None
    monitor = env.get("axm_monitor")
    return (at, status, 1 if online else 0, restarts, unstable, _number(monit.get("memory")), cpu, started, uptime,
            quantity(env.get("max_memory_restart")),
            *(_axm_values(monitor) if isinstance(monitor, dict) and monitor else _NO_AXM))


def _number(value: Any) -> float | None:
    """units.number (a plain finite number, or None), the JSON int and float first."""
    cls = value.__class__
    if cls is int:
        try:
            return float(value)
        except OverflowError:
            return None
    if cls is float:
        return value if value - value == 0.0 else None  # inf - inf and nan - nan are nan
    return number(value)


_NONE: dict = {}


def _axm_values(monitor: dict) -> tuple:
    """(heap used, heap total, heap usage, {quantile: latency} or None, handles, requests),
    each None when the agent did not report it."""
    # An entry found by its stable id wins over one found by its display name; among entries
    # with the same id, the last one listed. Each entry's quantity is read as it is found (one
    # pass: this runs for every entry of every process, issue 24); a display name is looked up
    # only for an id no entry had.
    found: list = [None] * len(_AXM)
    by_id: list = [False] * len(_AXM)
    slots = _AXM_SLOT
    for entry in monitor.values():
        if entry.__class__ is dict or isinstance(entry, dict):
            type_id = entry.get("type")
            if type_id.__class__ is str:  # an id is a string (@pm2/io); anything else is no id
                slot = slots.get(type_id)
                if slot is not None:
                    by_id[slot] = True
                    found[slot] = _entry_quantity(entry)
    if False in by_id:
        for slot, has_id in enumerate(by_id):
            if not has_id:
                entry = monitor.get(_AXM[slot][1])
                if isinstance(entry, dict):
                    found[slot] = _entry_quantity(entry)
    heap_used, heap_total, heap_usage, p50, p95, handles, requests = found
    latency = None
    if p50 is not None or p95 is not None:
        latency = {}
        if p50 is not None:
            latency["0.5"] = p50
        if p95 is not None:
            latency["0.95"] = p95
    return heap_used, heap_total, heap_usage, latency, handles, requests


def _entry_quantity(entry: dict) -> float | None:
    """An axm_monitor entry's value in base units (units.quantity), None when it is no quantity."""
    unit = entry.get("unit")
    try:  # units.quantity, without its wrapper: this runs for every entry of every process
        return _quantity(entry.get("value"), unit if unit.__class__ is str else str(unit or ""))
    except TypeError:  # unhashable: an object or a list is no quantity
        return None


_NO_AXM = (None,) * 6
# _AXM's place of each stable id.
_AXM_SLOT = {type_id: slot for slot, (type_id, _, _) in enumerate(_AXM)}
