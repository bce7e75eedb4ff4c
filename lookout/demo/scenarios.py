"""The fault scenarios `lookout demo inject` knows: what each one breaks and the page it should
cause. One table for both demos; how a step is carried out (HTTP to a simulator's /_sim API,
stopping a service) is the controller's business."""
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
             target="ticks", fault="stall", pages=("TicksStale",), chat=("TicksStale",)),
    Scenario("collector-crashloop", "ticks", "CollectorRestarting",
             "The collector dies seconds after each start and Docker keeps restarting it.",
             target="ticks", fault="crash-loop", needs="docker",
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
