"""The sync server's demo scenarios replayed at production timing (tests/alerts/incidents.py builds
the checks and gathers REPLAYS from every system): what scenarios.py promises, held against
the generated rules by promtool."""
from __future__ import annotations

from tests.alerts.incidents import checks, fires, quiet, STEP, values

PM2 = 'instance="pm2-exporter:9103",job="pm2"'


def pm2_memory_leak() -> dict:
    """The sync server leaks from minute 10 to minute 130: resident memory climbs from 80 MiB
    to its max_memory_restart (200 MiB) in 8 minutes, PM2 restarts it (restart_time + 1) and
    it climbs again; the fix deployed at 130 minutes holds it at 80 MiB. 7 or 8 restarts an
    hour: PM2RestartsHigh pages, quiet an hour after the last restart; PM2RestartBudget (chat)
    a day after it, so the replay runs 27 hours; PM2ProcessMemoryHigh, whose 5m outlasts each
    climb past 80%, never fires."""
    mib = 2 ** 20
    n = 27 * 3600 // STEP
    memory, restarts = [], []
    for i in range(n):
        t = i * STEP
        leaking = 600 <= t < 130 * 60
        since = (t - 600) % 480
        memory.append(80 * mib + (120 * mib * since // 480 if leaking else 0))
        restarts.append(max(0, min(t, 130 * 60) - 600) // 480)
    series = f'name="rss-sync-server",pm_id="3",{PM2}'
    return {"name": "pm2-memory-leak at production timing: a restart every 8 minutes for 2 hours, PM2RestartsHigh",
            "interval": f"{STEP}s", "input_series": [
                {"series": f"pm2_process_memory_bytes{{{series}}}", "values": values(memory)},
                {"series": f"pm2_process_memory_limit_bytes{{{series}}}", "values": values([200 * mib] * n)},
                {"series": f"pm2_process_restarts_total{{{series}}}", "values": values(restarts)}],
            # Past 80% for under 3 minutes of each 8: the memory alert's 5m never runs out.
            "alert_rule_test": checks({"PM2ProcessMemoryHigh": {}}, range(0, 4 * 60)) + [
                # [30 min, 90 min]: the restarts at 34, 42, ..., 90 minutes (pm_id summed away).
                fires("PM2RestartsHigh", 90 * 60, restarts[90 * 4] - restarts[30 * 4], f'name="rss-sync-server",{PM2}'),
                # The series starts at 0: the 1-day increase is exact from the start.
                fires("PM2RestartBudget", 90 * 60, restarts[90 * 4], f'name="rss-sync-server",{PM2}'),
                # The last restart at 130 minutes leaves the 1-hour window at 190, the day's at 1570.
                *quiet("PM2RestartsHigh", 190 * 60, n * STEP),
                *quiet("PM2RestartBudget", (24 * 60 + 130) * 60, n * STEP)]}


def sync_queue_backlog() -> dict:
    """Items arrive faster than the sync drains them from minute 10 (40 a minute more than it
    syncs) for 30 minutes, then it catches up at 60 a minute: the queue climbs to 1203 and is
    back at its usual 3 at minute 60. SyncQueueDepthHigh pages past 500 for 5 minutes."""
    n = 3 * 3600 // STEP
    queue, q = [], 3
    for i in range(n):
        t = i * STEP
        if 600 < t <= 2400:
            q += 10
        elif 2400 < t and q > 3:
            q -= 15
        queue.append(q)
    return {"name": "sync-queue-backlog at production timing: 30 minutes of growth then a drain, SyncQueueDepthHigh",
            "interval": f"{STEP}s", "input_series": [
                {"series": f"pm2_sync_queue_pending{{{PM2}}}", "values": values(queue)}],
            "alert_rule_test": [
                # Past 500 at 22.5 minutes, for 5m: firing at 35 minutes with 1003 items.
                fires("SyncQueueDepthHigh", 35 * 60, queue[35 * 4], PM2),
                # Under 500 from 51.75 minutes, under 100 from 58.5: resolved at once (no keep_firing_for).
                *quiet("SyncQueueDepthHigh", 59 * 60, n * STEP)]}


def watchdog_gave_up() -> dict:
    """The watchdog spent its 3 restarts of the hour on the sync server; from minute 30 it
    logs restart_throttled (rate_limited) on each check, once a minute, until minute 90, when
    the oldest of its restarts leaves the hour and the next restart holds. PM2WatchdogGaveUp
    pages; a cooldown refusal before it (5 minutes since the last restart) does not."""
    n = 3 * 3600 // STEP
    limited = [min(max(0, i * STEP - 1800 + 60) // 60, 60) for i in range(n)]
    cooldown = [1 if i * STEP >= 1200 else 0 for i in range(n)]
    service = f'service="rss-sync-server",{PM2}'
    return {"name": "pm2-watchdog-gave-up at production timing: an hour of refusals, PM2WatchdogGaveUp",
            "interval": f"{STEP}s", "input_series": [
                {"series": f'pm2_watchdog_throttled_total{{reason="rate_limited",{service}}}', "values": values(limited)},
                {"series": f'pm2_watchdog_throttled_total{{reason="cooldown",{service}}}', "values": values(cooldown)}],
            "alert_rule_test": [
                *quiet("PM2WatchdogGaveUp", 0, 1800),
                # [45 min, 60 min]: the refusals at 46, 47, ..., 60 minutes.
                fires("PM2WatchdogGaveUp", 60 * 60, limited[60 * 4] - limited[45 * 4], service),
                # The last refusal at 89 minutes leaves the 15-minute window at 104.
                *quiet("PM2WatchdogGaveUp", 104 * 60, n * STEP)]}


REPLAYS = {
    "pm2-memory-leak": lambda: [pm2_memory_leak()],
    "sync-queue-backlog": lambda: [sync_queue_backlog()],
    "pm2-watchdog-gave-up": lambda: [watchdog_gave_up()],
}
