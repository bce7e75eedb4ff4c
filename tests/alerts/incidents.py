"""Each scenario's incident at production timing, as promtool test groups: series shaped like
the real fault at 15 s scrapes over hours (a crash loop with Docker's back-off, a TiDB outage
with reconnect runs and give-ups, a stall mended by a restart, a leak PM2 restarts every 8
minutes, one lost flush ...), and what Prometheus must show of it: each promised alert
(lookout/demo/scenarios.py: `pages` at critical, chat-only ones at warning only) firing with
its labels during the fault, and not firing from the end of the fault plus its windows to the
end of the replay (the quiet after); and the alerts of the incident Prometheus must never
have firing: the effects its cause explains, during the fault and after it is mended
(hold-downs), and CollectorDown through a crash loop. The promised alerts' own boundaries and
`for`s are each system's rule_cases.yml and the generated cases; which alerts reach a receiver is
Alertmanager's part (test_alertmanager.py). Run by test_incidents.py."""
from __future__ import annotations

from pathlib import Path

import yaml

from lookout.alert_rules.catalog import build
from .rulecases import LEVELS, expected_alert

STEP = 15  # seconds: production scrape and evaluation interval
NECTAR = 'instance="nectar-exporter:9101",job="nectar"'
TICKS = 'instance="ticks-exporter:9105",job="ticks"'
PM2 = 'instance="pm2-exporter:9103",job="pm2"'
TBURN = 'instance="tburn-exporter:9107",job="tburn"'
SIGNALS = build()  # the operator's signals: what the committed rules were generated from


def values(samples: list[float]) -> str:
    return " ".join(f"{v:g}" for v in samples)


def checks(alerts: dict[str, dict[int, list[dict]]], times: range) -> list[dict]:
    """Every alert at every minute of `times`: the expected firing ones, none otherwise."""
    out = []
    for minute in times:
        for alert, at in alerts.items():
            out.append({"eval_time": f"{minute}m", "alertname": alert,
                        **({"exp_alerts": at[minute]} if at.get(minute) else {})})
    return out


def labels_of(selector: str) -> dict[str, str]:
    """'a="1",b="2"' -> {"a": "1", "b": "2"}: an alert's labels from its series' selector."""
    return dict((k, v.strip('"')) for k, v in (part.split("=", 1) for part in selector.split(",")))


def _signal(alert: str):
    found = [s for s in SIGNALS if s.alert == alert]
    if len(found) != 1:
        raise ValueError(f"{alert}: {len(found)} signals, a replay expects one")
    return found[0]


def _past(sig, level: str, value: float) -> bool:
    bound = getattr(sig, level)
    if bound is None:
        return False
    if sig.direction == "above":
        return value >= bound if sig.inclusive else value > bound
    return value <= bound if sig.inclusive else value < bound


def fires(alert: str, at_s: int, value: float, labels: str) -> dict:
    """`alert` firing at `at_s` (seconds) with `value`: every level `value` is past, with the
    labels of `labels` (a selector's inside) and the rule's, and the rendered annotations. Call
    it where each `for` has run out."""
    sig = _signal(alert)
    levels = [lvl for lvl in LEVELS if _past(sig, lvl, value)]
    return {"eval_time": f"{at_s}s", "alertname": alert,
            "exp_alerts": [expected_alert(sig, lvl, value, labels_of(labels)) for lvl in levels]}


def quiet(alert: str, from_s: int, to_s: int) -> list[dict]:
    """`alert` not firing at any level at every minute in [from_s, to_s)."""
    return [{"eval_time": f"{t}s", "alertname": alert} for t in range(from_s, to_s, 60)]


def tidb_down(outage_s: int, name: str) -> dict:
    """TiDB down from minute 5 for `outage_s`; Nectar logs a reconnect episode per attempt
    run (ConnectionRecovery: 10 attempts, then a give-up, a pause, again)."""
    n = (5 * 60 + outage_s + 90 * 60) // STEP
    up, episodes, giveups = [], [], []
    e = g = 0
    for i in range(n):
        t = i * STEP
        down = 300 <= t < 300 + outage_s
        up.append(0 if down else 1)
        if down and (t - 300) % 60 == 0:
            e += 1          # one episode per recovery run (catalog: one per outage run)
        if down and (t - 300) % 60 == 45:
            g += 1          # the run gave up after its 10 attempts
        episodes.append(e)
        giveups.append(g)
    return {"name": name, "interval": f"{STEP}s", "input_series": [
        {"series": f"nectar_up{{{NECTAR}}}", "values": values(up)},
        {"series": f"nectar_reconnect_episodes_total{{{NECTAR}}}", "values": values(episodes)},
        {"series": f"nectar_reconnect_giveups_total{{{NECTAR}}}", "values": values(giveups)},
    ], "alert_rule_test": checks({"NectarReconnecting": {}}, range(0, n * STEP // 60, 1)) + (
        # nectar_up < 1 for 1m: firing 5 minutes in; resolved as soon as it is back.
        [fires("NectarDatabaseDown", 600, 0, NECTAR), *quiet("NectarDatabaseDown", 300 + outage_s, n * STEP)]
        if outage_s > 5 * 60 else quiet("NectarDatabaseDown", 0, n * STEP))}


def crash_loop() -> dict:
    """The collector exits 3 s after each start; Docker restarts it with its back-off (100 ms
    doubling to 60 s, moby restartmanager). Scraped every 15 s, the 3 s runs are mostly
    missed: the container looks down for minutes at a time while it restarts."""
    events, t, delay = [], 60.0, 0.1
    while t < 3 * 3600:
        events.append((t, t + 3))            # running from t to t+3
        t = t + 3 + delay
        delay = min(delay * 2, 60)
    stop = 2 * 3600                          # mended at 2 h: the loop ends, it stays up
    events = [(a, b) for a, b in events if a < stop] + [(stop + 30, 10 ** 9)]
    running, restarts = [], []
    n = 4 * 3600 // STEP
    for i in range(n):
        now = i * STEP
        running.append(1 if now < 60 or any(a <= now < b for a, b in events) else 0)
        restarts.append(sum(1 for a, _ in events[1:] if a <= now))
    return {"name": "collector-crashloop at production timing: CollectorRestarting, never CollectorDown",
            "interval": f"{STEP}s", "input_series": [
                {"series": f'ticks_container_running{{container="tick-collector",{TICKS}}}', "values": values(running)},
                {"series": f'ticks_container_restarts_total{{container="tick-collector",{TICKS}}}',
                 "values": values(restarts)}],
            "alert_rule_test": checks({"CollectorDown": {}}, range(0, n * STEP // 60, 1)) + [
                # The 1-hour window whole at 90 minutes: the restarts in it, counted by hand.
                fires("CollectorRestarting", 90 * 60, restarts[90 * 4] - restarts[30 * 4],
                      f'container="tick-collector",{TICKS}'),
                # The last restart (the mend's) at 2 h 30 s: out of the 1-hour window after 3 h 30 s.
                *quiet("CollectorRestarting", stop + 30 + 3600 + 60, n * STEP)]}


def ticks_stall() -> dict:
    """The WebSocket goes silent at minute 10; TicksStale pages past 600 s; the remediation
    restarts the collector at minute 21 and ticks flow again; the exporter's 5-minute rate
    window refills over the next 5 minutes."""
    n = 3 * 3600 // STEP
    age, rate = [], []
    for i in range(n):
        t = i * STEP
        if 600 <= t < 1260:
            age.append(t - 600)
        else:
            age.append(2)
        ticks_in_window = sum(1 for s in range(max(0, t - 300), t, 1) if not 600 <= s < 1260)
        rate.append(round(200 * ticks_in_window / 300))
    table = 'table="eth_option_quotes"'
    return {"name": "ticks-stall at production timing, mended by the remediation's restart: TicksStale only",
            "interval": f"{STEP}s", "input_series": [
                {"series": f"ticks_table_last_tick_age_seconds{{{table},{TICKS}}}", "values": values(age)},
                {"series": f"ticks_table_ticks_per_minute{{{table},{TICKS}}}", "values": values(rate)}],
            "alert_rule_test": checks({"TickRateLow": {}}, range(0, n * STEP // 60)) + [
                # Past 600 s from 10 min 15 s of silence; the restart at minute 21 clears it.
                fires("TicksStale", 1215, 615, f"{table},{TICKS}"), *quiet("TicksStale", 1260, n * STEP)]}


def nectar_stall() -> dict:
    """Indexing stops for 40 minutes, far behind the tip (more than 86400 slots), then resumes
    at 150 blocks/s: NectarSyncStalled pages; NectarSyncSlow, whose 15-minute block rate still
    holds the stall after it resumes, never fires."""
    n = 3 * 3600 // STEP
    block, lag = [], []
    b = 6_000_000.0
    for i in range(n):
        t = i * STEP
        if not 600 <= t < 600 + 40 * 60:
            b += 150 * STEP
        block.append(b)
        lag.append(5_000_000)  # slots behind the wall-clock tip: far behind throughout
    return {"name": "nectar-stall 40 min at production timing: NectarSyncStalled, never NectarSyncSlow",
            "interval": f"{STEP}s", "input_series": [
                {"series": f"nectar_chain_block{{{NECTAR}}}", "values": values(block)},
                {"series": f"nectar_chain_lag_slots{{{NECTAR}}}", "values": values(lag)},
                {"series": f'nectar_chain_era{{nectar_chain_era="alonzo",{NECTAR}}}', "values": values([1] * n)}],
            "alert_rule_test": checks({"NectarSyncSlow": {}}, range(0, n * STEP // 60)) + [
                # No block in 2 minutes from 11 min 45 s, for 10m: firing from 21 min 45 s;
                # the first new block (minute 50) ends it.
                fires("NectarSyncStalled", 30 * 60, 0, NECTAR), *quiet("NectarSyncStalled", 3000, n * STEP)]}


def tburn_heap() -> dict:
    """The heap held at 97% for 20 minutes: the governor goes critical and the shedder degrades
    (and stays so 30 s after the heap is back, its default); TburnHeapHigh pages; the
    governor and the shedder, which the heap explains, never fire."""
    tburn = TBURN
    n = 2 * 3600 // STEP
    heap, degraded, critical = [], [], []
    for i in range(n):
        t = i * STEP
        high = 600 <= t < 1800
        heap.append(0.97 if high else 0.45)
        degraded.append(1 if 600 <= t < 1830 else 0)
        critical.append(1 if high else 0)
    state = "tburn_memory_governor_state"
    return {"name": "tburn-heap-pressure 20 min at production timing: TburnHeapHigh only",
            "interval": f"{STEP}s", "input_series": [
                {"series": f"tburn_heap_ratio{{{tburn}}}", "values": values(heap)},
                {"series": f"tburn_degraded_mode{{{tburn}}}", "values": values(degraded)},
                {"series": f'{state}{{{state}="critical",{tburn}}}', "values": values(critical)},
                {"series": f'{state}{{{state}="normal",{tburn}}}', "values": values([1 - c for c in critical])}],
            "alert_rule_test": checks({"TburnRequestShedding": {}, "TburnMemoryGovernorDegraded": {}},
                                      range(0, n * STEP // 60)) + [
                # Past 85% for 2m: firing from minute 12; resolved when the heap is back at 30.
                fires("TburnHeapHigh", 20 * 60, 0.97, tburn), *quiet("TburnHeapHigh", 1800, n * STEP)]}


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


def tburn_breaker_open() -> dict:
    """Shard 3's breaker opens at minute 10 and stays open for 20 minutes, half-open for one
    scrape, then closed: TburnCircuitBreakerOpen (a warning, chat only) past 5 minutes."""
    n = 2 * 3600 // STEP
    state = "tburn_circuit_breaker_state"
    at = {"closed": [], "open": [], "half_open": []}
    for i in range(n):
        t = i * STEP
        now = "open" if 600 <= t < 1800 else "half_open" if t == 1800 else "closed"
        for name, samples in at.items():
            samples.append(1 if name == now else 0)
    return {"name": "tburn-breaker-open 20 min at production timing: TburnCircuitBreakerOpen in chat, never a page",
            "interval": f"{STEP}s", "input_series": [
                {"series": f'{state}{{shard="3",{state}="{name}",{TBURN}}}', "values": values(samples)}
                for name, samples in at.items()],
            "alert_rule_test": [
                fires("TburnCircuitBreakerOpen", 25 * 60, 1, f'shard="3",{TBURN}'),
                *quiet("TburnCircuitBreakerOpen", 1800, n * STEP)]}


def tburn_down() -> dict:
    """TBURN's /health answers 503 from minute 10 for 10 minutes: TburnDown pages after 1m."""
    n = 2 * 3600 // STEP
    up = [0 if 600 <= i * STEP < 1200 else 1 for i in range(n)]
    return {"name": "tburn-down 10 min at production timing: TburnDown", "interval": f"{STEP}s",
            "input_series": [{"series": f"tburn_up{{{TBURN}}}", "values": values(up)}],
            "alert_rule_test": [fires("TburnDown", 15 * 60, 0, TBURN), *quiet("TburnDown", 1200, n * STEP)]}


def lost_once(counter: str, up: str, labels: str, alert: str, what: str) -> dict:
    """One loss at minute 30 (`counter` + 1) while `up` holds at 1: `alert` pages for the 15
    minutes the loss stays in its window, then is quiet."""
    n = 2 * 3600 // STEP
    lost = [1 if i * STEP >= 1800 else 0 for i in range(n)]
    return {"name": f"{what} at production timing: {alert} for 15 minutes", "interval": f"{STEP}s",
            "input_series": [{"series": f"{counter}{{{labels}}}", "values": values(lost)},
                             {"series": up, "values": values([1] * n)}],
            "alert_rule_test": [quiet(alert, 29 * 60, 30 * 60)[0], fires(alert, 30 * 60, 1, labels),
                                fires(alert, 44 * 60, 1, labels), *quiet(alert, 45 * 60, n * STEP)]}


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
    "tidb-down": lambda: [tidb_down(20 * 60, "tidb-down held 20 min at production timing: never the reconnects or the"
                                             " give-up, also after the database is back"),
                          tidb_down(45, "tidb-down for 45 s (shorter than `for`): nothing fires")],
    "collector-crashloop": lambda: [crash_loop()],
    "ticks-stall": lambda: [ticks_stall()],
    "nectar-stall": lambda: [nectar_stall()],
    "tburn-heap-pressure": lambda: [tburn_heap()],
    "pm2-memory-leak": lambda: [pm2_memory_leak()],
    "sync-queue-backlog": lambda: [sync_queue_backlog()],
    "tburn-breaker-open": lambda: [tburn_breaker_open()],
    "tburn-down": lambda: [tburn_down()],
    "tick-data-lost": lambda: [lost_once("ticks_collector_flushes_lost_total", f"ticks_up{{{TICKS}}}",
                                         f'container="tick-collector",{TICKS}', "TickDataLost", "one lost flush")],
    "nectar-blocks-dropped": lambda: [lost_once("nectar_blocks_dropped_total", f"nectar_up{{{NECTAR}}}", NECTAR,
                                                "NectarBlocksDropped", "one dropped block")],
    "pm2-watchdog-gave-up": lambda: [watchdog_gave_up()],
}


def write(name: str, rule_files: list[str], out: Path) -> Path:
    """The promtool test file of replay `name`, against `rule_files`."""
    doc = {"rule_files": rule_files, "evaluation_interval": f"{STEP}s", "tests": REPLAYS[name]()}
    out.write_text(yaml.safe_dump(doc, sort_keys=False, width=200))
    return out
