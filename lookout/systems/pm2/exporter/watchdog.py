"""The sync server host's watchdog: its restart decisions, from the JSON lines it writes.

shayonpal/rss-news-reader 5aa2950e runs `rss-services-monitor` under PM2
(ecosystem.config.js: scripts/monitor-services-pm2.sh, LOG_FILE ./logs/monitor-services.jsonl).
Every two minutes it checks the apps' health routes and restarts a failing one with
`pm2 restart <name>`, at most MAX_RESTARTS_PER_HOUR (3) times an hour and RESTART_COOLDOWN
(300 s) apart. Its log_event() writes one JSON object a line:

    {"timestamp":"...","event":"<event>","service":"<service>","status":"<status>","message":"..."}

with, among others, event "restart_complete" (status "success") after each restart, and
"restart_throttled" with status "cooldown" or "rate_limited" when it declines to restart
("Max restarts per hour reached": it has given up until the hour is over, and its Discord
message says "Manual intervention may be required").

A restart by the watchdog is a decision, not a crash: PM2's restart_time counts both
(pm2_process_restarts_total); pm2_watchdog_restarts_total counts the watchdog's alone.
"""
from __future__ import annotations

import json
import threading

from lookout.exporters.runtime.held import held
from lookout.exporters.runtime import Collector, Deadline, MetricSet
from lookout.exporters.runtime.logtail import FileTail
from lookout.exporters.runtime.metrics import Counter

from .config import WatchdogConfig

# The PM2 names monitor-services-pm2.sh restarts (its restart_service_with_limit case);
# any other service value is counted as "other", so the label stays bounded.
SERVICES = ("rss-reader-dev", "rss-sync-cron", "rss-sync-server")
THROTTLE_REASONS = ("cooldown", "rate_limited")

RESTARTS = Counter("watchdog_restarts", "Restarts the host's watchdog (rss-services-monitor) made, per PM2"
                   " process name (its restart_complete lines).", ("service",))
THROTTLED = Counter("watchdog_throttled", "Restarts the watchdog declined, per process name and reason"
                    " (cooldown: 5 min since the last; rate_limited: 3 this hour, it gave up).", ("service", "reason"))


class WatchdogLog:
    """Counts from the watchdog's JSON lines; a line that is not one of them is skipped."""

    def __init__(self):
        self.restarts = dict.fromkeys((*SERVICES, "other"), 0)
        self.throttled = {(s, r): 0 for s in (*SERVICES, "other") for r in THROTTLE_REASONS}

    def feed(self, lines: list[str]) -> None:
        for line in lines:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if not isinstance(entry, dict):
                continue
            service = entry.get("service")
            service = service if service in SERVICES else "other"
            event, status = entry.get("event"), entry.get("status")
            if event == "restart_complete":
                self.restarts[service] += 1
            elif event == "restart_throttled" and status in THROTTLE_REASONS:
                self.throttled[(service, status)] += 1


class WatchdogCollector(Collector):
    name = "watchdog"
    metrics = (RESTARTS, THROTTLED)

    def __init__(self, cfg: WatchdogConfig):
        self.tail = FileTail(cfg.path)  # from its end when first opened: history is not news
        self.log = WatchdogLog()
        # One reader at a time (each line counted once), even past a read that hung: it keeps
        # the lock until it comes back, and the runs meanwhile fail with reason timeout.
        self._lock = threading.Lock()

    def collect(self, out: MetricSet, deadline: Deadline) -> None:
        with held(self._lock, deadline, "watchdog: an earlier read of its log has not come back"):
            self.log.feed(self.tail.read_lines())
            restarts, throttled = dict(self.log.restarts), dict(self.log.throttled)
        for service, n in restarts.items():
            out.add(RESTARTS, n, service=service)
        for (service, reason), n in throttled.items():
            out.add(THROTTLED, n, service=service, reason=reason)

    def close(self) -> None:
        self.tail.close()
