"""The sync server's demo scenarios (lookout/demo/scenario.py says what a scenario promises)."""
from lookout.demo.scenario import Scenario

SCENARIOS = (
    Scenario("pm2-memory-leak", "pm2", "PM2RestartsHigh",
             "The sync server leaks memory past max_memory_restart; PM2 restarts it, again and again.",
             target="pm2", fault="memory-leak",
             pages=("PM2RestartsHigh",), chat=("PM2RestartsHigh", "PM2RestartBudget")),
    Scenario("sync-queue-backlog", "pm2", "SyncQueueDepthHigh",
             "Items arrive faster than the sync drains them; the queue grows.",
             target="pm2", fault="queue-backlog", pages=("SyncQueueDepthHigh",), chat=("SyncQueueDepthHigh",)),
    # Issue 21: the watchdog signal, shown by a fault that mirrors the watchdog's own lines.
    Scenario("pm2-watchdog-gave-up", "pm2", "PM2WatchdogGaveUp",
             "The host watchdog has spent its 3 restarts this hour on the sync server and refuses more"
             " (restart_throttled, rate_limited, on every check). One page.",
             target="pm2", fault="watchdog-gave-up", pages=("PM2WatchdogGaveUp",)),
)
