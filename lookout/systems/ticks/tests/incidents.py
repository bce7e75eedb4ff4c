"""The tick collector's demo scenarios replayed at production timing (tests/alerts/incidents.py builds
the checks and gathers REPLAYS from every system): what scenarios.py promises, held against
the generated rules by promtool."""
from __future__ import annotations

from tests.alerts.incidents import checks, fires, lost_once, quiet, STEP, values

TICKS = 'instance="ticks-exporter:9105",job="ticks"'


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


REPLAYS = {
    "collector-crashloop": lambda: [crash_loop()],
    "ticks-stall": lambda: [ticks_stall()],
    "tick-data-lost": lambda: [lost_once("ticks_collector_flushes_lost_total", f"ticks_up{{{TICKS}}}",
                                         f'container="tick-collector",{TICKS}', "TickDataLost", "one lost flush")],
}
