"""The collector's container: state, health, restarts, OOM kills and memory, from the Docker API.

Container labels are never copied into metric labels: `container` (the name) is the only one.
"""
from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor, wait
from urllib.parse import quote

from lookout.exporters.runtime import Collector, Deadline, MetricSet
from lookout.exporters.runtime.logs import get_logger
from lookout.exporters.runtime.metrics import Counter, Gauge, StateSet

from .dockerapi import DockerDaemon, OneCallAtATime, rfc3339_ns, vanished

log = get_logger("lookout.ticks.containers")

STATUSES = ("created", "running", "paused", "restarting", "removing", "exited", "dead")
HEALTH = ("starting", "healthy", "unhealthy", "none")
_RENDER_MARGIN = 0.1  # seconds of the deadline left for merging and rendering


def _running(info: dict) -> bool:
    return bool(info["State"].get("Running")) and not info["State"].get("Restarting")


_C = ("container",)
RUNNING = Gauge("container_running", "1 when the container is running.", _C)
STATUS = StateSet("container_status", "Docker's status of the container.", _C, states=STATUSES)
HEALTH_STATE = StateSet("container_health", "HEALTHCHECK status (none without a health check).", _C, states=HEALTH)
RESTARTS = Counter("container_restarts", "Docker's RestartCount for the container.", _C)
OOM_KILLED = Gauge("container_oom_killed", "1 when the container's last exit was an OOM kill.", _C)
EXIT_CODE = Gauge("container_exit_code", "Exit code of the container's last exit.", _C)
STARTED = Gauge("container_start_time_seconds", "When the container last started (Unix time).", _C)
MEMORY_USAGE = Gauge("container_memory_usage_bytes",
                     "Memory in use net of inactive file cache, as docker stats shows it.", _C)
MEMORY_LIMIT = Gauge("container_memory_limit_bytes",
                     "The container's memory limit (the host's memory when unlimited).", _C)


class ContainerCollector(Collector):
    name = "containers"
    metrics = (RUNNING, STATUS, HEALTH_STATE, RESTARTS, OOM_KILLED, EXIT_CODE, STARTED, MEMORY_USAGE, MEMORY_LIMIT,)

    def __init__(self, daemon: DockerDaemon):
        self.daemon = daemon
        self.calls = OneCallAtATime("containers")  # also guards the stats below
        self._stats_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="container-stats")
        self._stats_pending: dict[str, Future] = {}
        self._last_stats: dict[str, dict | None] = {}

    def collect(self, out: MetricSet, deadline: Deadline) -> None:
        with self.calls.held(deadline):
            found = self._gather(deadline)
        for name, state in found:
            write_container(out, name, state)

    def _gather(self, deadline: Deadline) -> list[tuple[str, dict | None]]:
        """Every Docker call of a collection, each bounded by the deadline."""
        try:
            listed = self.daemon.select(deadline)
            self._listed(listed)
            inspected: list[tuple[str, dict]] = []
            for summary in listed:
                try:
                    inspected.append((summary["name"], self.daemon.inspect(summary["Id"], deadline)))
                except Exception as exc:
                    if not vanished(exc):
                        raise
                    # Removed between the listing and now: it is simply not there any more.
                    log.debug("container vanished mid-scrape", extra={"fields": {"container": summary["name"]}})
            stats = self._memory_stats(inspected, deadline.remaining() - _RENDER_MARGIN)
        except Exception as exc:
            raise self.daemon.failure(exc, "listing containers") from None
        found: list[tuple[str, dict | None]] = [
            (name, {"info": info, "stats": stats.get(name)}) for name, info in inspected]
        # A container configured by name (or expected) that does not exist is reported as not
        # running, so "collector down" alerts fire when it was removed, not only when it stopped.
        seen = {name for name, _ in found}
        cfg = self.daemon.cfg
        found += [(n, None) for n in dict.fromkeys(cfg.containers + cfg.expected_containers) if n not in seen]
        return found

    def _memory_stats(self, inspected: list[tuple[str, dict]], budget: float) -> dict[str, dict | None]:
        """Stats of the running containers, fresh if Docker answers within `budget`, else the
        previous sample. Docker answers one-shot stats only at its next 1 s sampling tick;
        asking for all containers at once makes them share that wait, and a call still out
        when the budget ends finishes in the background for the next scrape, so a 1 s scrape
        interval is not blown by the wait."""
        wanted: dict[str, Future] = {}
        for name, info in inspected:
            if not _running(info):
                continue
            pending = self._stats_pending.get(name)
            if pending is not None and pending.done():
                self._keep(name, pending)
                pending = None
            wanted[name] = pending or self._stats_pool.submit(self._stats, info)
        wait(wanted.values(), timeout=max(budget, 0))
        self._stats_pending = {}
        for name, fut in wanted.items():
            if fut.done():
                self._keep(name, fut)
            else:
                self._stats_pending[name] = fut
        # Stopped or vanished containers have no memory figure any more.
        self._last_stats = {n: st for n, st in self._last_stats.items() if n in wanted}
        return self._last_stats

    def _keep(self, name: str, fut: Future) -> None:
        if not fut.cancelled() and fut.exception() is None:
            self._last_stats[name] = fut.result()
        else:  # memory goes missing for a scrape; state and health still report
            log.debug("container stats failed", extra={"fields": {"container": name, "err": str(fut.exception())}})

    def _stats(self, info: dict) -> dict | None:
        """On a stats thread, bounded by docker.timeout_seconds, not by a scrape's deadline: an
        answer that comes after the deadline is the next scrape's sample."""
        try:
            # one-shot (API 1.41+, ignored before): skip the second sample Docker takes for
            # CPU deltas, which this collector does not read.
            return self.daemon.get_json(f"/containers/{quote(info['Id'])}/stats", self.daemon.cfg.timeout_seconds,
                                        stream=0, **{"one-shot": 1})
        except ValueError:
            # An empty answer: the container stopped or is being removed right now. Its
            # state is still worth reporting; memory is simply absent this time.
            return None
        except Exception as exc:
            if vanished(exc):
                return None
            raise

    def _listed(self, summaries: list[dict]) -> None:
        """Between listing and inspecting; a seam where the tests remove a container."""

    def close(self) -> None:
        self._stats_pool.shutdown(wait=False, cancel_futures=True)
        self.daemon.close()


def write_container(out: MetricSet, name: str, found: dict | None) -> None:
    lbl = {"container": name}
    if found is None:
        out.add(RUNNING, 0, **lbl)
        out.add(STATUS, None, **lbl)
        return
    info, stats = found["info"], found["stats"]
    state = info["State"]
    status = state.get("Status", "")
    out.add(RUNNING, 1 if status == "running" else 0, **lbl)
    out.add(STATUS, status, **lbl)
    health = (state.get("Health") or {}).get("Status") or "none"
    out.add(HEALTH_STATE, health, **lbl)
    out.add(RESTARTS, info.get("RestartCount", 0), **lbl)
    out.add(OOM_KILLED, 1 if state.get("OOMKilled") else 0, **lbl)
    out.add(EXIT_CODE, state.get("ExitCode", 0), **lbl)
    started = rfc3339_ns(state.get("StartedAt", ""))
    if started is not None:
        out.add(STARTED, started / 1e9, **lbl)
    usage, limit = memory_of(stats)
    if usage is not None:
        out.add(MEMORY_USAGE, usage, **lbl)
    if limit:
        out.add(MEMORY_LIMIT, limit, **lbl)


def memory_of(stats: dict | None) -> tuple[float | None, float | None]:
    """Usage the way the docker CLI computes it: cgroup v1 subtracts total_inactive_file,
    cgroup v2 inactive_file, from the raw usage (page cache that can be dropped)."""
    mem = (stats or {}).get("memory_stats") or {}
    if "usage" not in mem:
        return None, None
    usage = mem["usage"]
    detail = mem.get("stats") or {}
    cache = detail.get("total_inactive_file", detail.get("inactive_file", 0))
    if cache < usage:
        usage -= cache
    return float(usage), float(mem.get("limit") or 0) or None
