"""The fault scenarios `lookout demo inject` knows: what each one breaks and its promise, the
whole notification stream of the incident. One table for both demos, `lookout demo scenarios`,
docs/demo.md and the end-to-end test (tests/e2e/test_incidents.py, which holds every scenario
to it); how a step is carried out (HTTP to a simulator's /_sim API, stopping a service) is the
controller's business.

The promise, from the causal model (docs/alerting.md): from the fault until well after it is
mended, the pager gets each alert of `pages` (critical) once and its resolution, chat each of
`chat` (warnings) once at most, in that order, and nothing else; the demo's remediation takes
`remedy` (lookout-remediate, docs/remediation.md) when one is named; once mended, nothing new.
A fault shorter than the `for` (or the age) of its first promised alert sends nothing."""
from __future__ import annotations

from dataclasses import dataclass, field

from lookout.systems import SYSTEMS


@dataclass(frozen=True)
class Scenario:
    name: str
    system: str
    alert: str                       # the notification it must cause (the end-to-end test checks it)
    help: str
    # What reaches each receiver while the fault lasts, from the causal model (docs/alerting.md):
    # `pages` on the pager (critical), `chat` warnings; everything else it sets off is inhibited.
    pages: tuple[str, ...] = ()
    chat: tuple[str, ...] = ()
    target: str = ""                 # demo target (a system key) whose fault it switches on ...
    fault: str = ""
    params: dict = field(default_factory=dict)
    service: str = ""                # ... or the service it stops
    needs: str = ""                  # "docker": only where the collector runs in a container
    remedy: str = ""                 # the lookout-remediate action the demo takes in this incident

    def expectation(self) -> str:
        """What `inject` tells the person: where the first notification goes."""
        if self.alert in self.pages:
            said = f"expect {self.alert} to page"
        else:
            said = f"expect {self.alert} in chat (a warning, no page)"
        return said + (f", then the remediation {self.remedy}" if self.remedy else "")

    def promise(self) -> dict:
        return {"pages": list(self.pages), "chat": list(self.chat), "remedy": self.remedy}


SCENARIOS = {s.name: s for s in (
    Scenario("tidb-down", "nectar", "NectarDatabaseDown",
             "TiDB stops (killed); Nectar's writer starts its ConnectionRecovery. Only the database "
             "page should arrive: the stall and reconnect alerts are inhibited.", service="tidb",
             pages=("NectarDatabaseDown",)),
    Scenario("nectar-stall", "nectar", "NectarSyncStalled",
             "Nectar stops indexing while far behind the tip; its connection stays up.",
             target="nectar", fault="stall", pages=("NectarSyncStalled",)),
    Scenario("ticks-stall", "ticks", "TicksStale",
             "The tick collector's WebSocket goes silent: no new ticks, the container keeps running.",
             target="ticks", fault="stall", pages=("TicksStale",), chat=("TicksStale",),
             # TicksStale critical carries remedy=restart-collector: the new process opens a new
             # WebSocket (the stall is cured by a restart), so the incident ends by itself. Where
             # the collector is a plain process (no Docker) the demo offers no such remedy.
             remedy="restart-collector"),
    Scenario("collector-crashloop", "ticks", "CollectorRestarting",
             "The collector dies ~10 s after each start and Docker keeps restarting it.",
             # Runs of 10 s or more reset Docker's back-off (moby restartmanager), so it restarts
             # every ~12 s: past 10 restarts in the fast profile's 3-minute window (profiles.py).
             target="ticks", fault="crash-loop", params={"run_seconds": 10.5}, needs="docker",
             pages=("CollectorRestarting",), chat=("CollectorRestarting",)),
    Scenario("pm2-memory-leak", "pm2", "PM2RestartsHigh",
             "The sync server leaks memory past max_memory_restart; PM2 restarts it, again and again.",
             target="pm2", fault="memory-leak",
             pages=("PM2RestartsHigh",), chat=("PM2RestartsHigh", "PM2RestartBudget")),
    Scenario("sync-queue-backlog", "pm2", "SyncQueueDepthHigh",
             "Items arrive faster than the sync drains them; the queue grows.",
             target="pm2", fault="queue-backlog", pages=("SyncQueueDepthHigh",), chat=("SyncQueueDepthHigh",)),
    Scenario("tburn-heap-pressure", "tburn", "TburnHeapHigh",
             "TBURN's heap held at 97% of its limit: memory governor critical, requests rejected.",
             target="tburn", fault="heap-pressure", params={"level": "critical"}, pages=("TburnHeapHigh",)),
    Scenario("tburn-breaker-open", "tburn", "TburnCircuitBreakerOpen",
             "TBURN's circuit breaker of shard 3 stuck open (a warning: chat, no page).",
             target="tburn", fault="breaker-open", params={"shard": 3}, chat=("TburnCircuitBreakerOpen",)),
    Scenario("tburn-down", "tburn", "TburnDown",
             "TBURN's /health answers 503.", target="tburn", fault="health-down", pages=("TburnDown",)),
)}

# The simulators a full recover clears: every system's demo target.
TARGETS = tuple(s.demo_target for s in SYSTEMS)


# Issue 21: the data-loss and watchdog signals, each shown by a fault that mirrors the
# application's own lines (kept apart from the table above, which issue 20 owns).
_DATA_LOSS = (
    Scenario("tick-data-lost", "ticks", "TickDataLost",
             "The tick collector's database answers but a flush's writes fail 3 times: the flush is dropped"
             " and its ticks are lost for good (one every 10 s). One page; its ERROR lines are explained by it.",
             target="ticks", fault="write-failures", params={"every_seconds": 10}, pages=("TickDataLost",)),
    Scenario("nectar-blocks-dropped", "nectar", "NectarBlocksDropped",
             "A Nectar block worker gives blocks up on an error it does not retry (one every 10 s): they are"
             " not indexed. One page.",
             target="nectar", fault="drop-blocks", params={"every_seconds": 10}, pages=("NectarBlocksDropped",)),
    Scenario("pm2-watchdog-gave-up", "pm2", "PM2WatchdogGaveUp",
             "The host watchdog has spent its 3 restarts this hour on the sync server and refuses more"
             " (restart_throttled, rate_limited, on every check). One page.",
             target="pm2", fault="watchdog-gave-up", pages=("PM2WatchdogGaveUp",)),
)
SCENARIOS.update({s.name: s for s in _DATA_LOSS})
