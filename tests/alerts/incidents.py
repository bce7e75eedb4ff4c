"""Each scenario's incident at production timing, as promtool test groups: series shaped like
the real fault at 15 s scrapes over hours (a crash loop with Docker's back-off, a TiDB outage
with reconnect runs and give-ups, a stall mended by a restart ...), and the alerts of the
incident that Prometheus must never have firing: the effects its cause explains, during the
fault and after it is mended (hold-downs), and CollectorDown through a crash loop. The promised
alerts' own boundaries and `for`s are tests/alerts/cases and the generated cases; which alerts
reach a receiver is Alertmanager's part (test_alertmanager.py). Run by test_incidents.py."""
from __future__ import annotations

from pathlib import Path

import yaml

STEP = 15  # seconds: production scrape and evaluation interval
NECTAR = 'instance="nectar-exporter:9101",job="nectar"'
TICKS = 'instance="ticks-exporter:9105",job="ticks"'


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
    ], "alert_rule_test": checks({"NectarReconnecting": {}},
                                 range(0, n * STEP // 60, 1))}


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
            "alert_rule_test": checks({"CollectorDown": {}}, range(0, n * STEP // 60, 1))}


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
            "alert_rule_test": checks({"TickRateLow": {}}, range(0, n * STEP // 60))}


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
            "alert_rule_test": checks({"NectarSyncSlow": {}}, range(0, n * STEP // 60))}


def tburn_heap() -> dict:
    """The heap held at 97% for 20 minutes: the governor goes critical and the shedder degrades
    (and stays so 30 s after the heap is back, its default); TburnHeapHigh pages; the
    governor and the shedder, which the heap explains, never fire."""
    tburn = 'instance="tburn-exporter:9107",job="tburn"'
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
                                      range(0, n * STEP // 60))}


REPLAYS = {
    "tidb-down": lambda: [tidb_down(20 * 60, "tidb-down held 20 min at production timing: never the reconnects or the"
                                             " give-up, also after the database is back"),
                          tidb_down(45, "tidb-down for 45 s (shorter than `for`): nothing fires")],
    "collector-crashloop": lambda: [crash_loop()],
    "ticks-stall": lambda: [ticks_stall()],
    "nectar-stall": lambda: [nectar_stall()],
    "tburn-heap-pressure": lambda: [tburn_heap()],
}


def write(name: str, rule_files: list[str], out: Path) -> Path:
    """The promtool test file of replay `name`, against `rule_files`."""
    doc = {"rule_files": rule_files, "evaluation_interval": f"{STEP}s", "tests": REPLAYS[name]()}
    out.write_text(yaml.safe_dump(doc, sort_keys=False, width=200))
    return out
