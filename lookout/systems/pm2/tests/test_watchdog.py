"""The host watchdog's decisions, from the JSON lines it writes.

Fixture lines mirror shayonpal/rss-news-reader 5aa2950e scripts/monitor-services-pm2.sh
log_event(): {"timestamp","event","service","status","message"} a line, appended to
LOG_FILE (ecosystem.config.js: ./logs/monitor-services.jsonl).
"""
import json

from lookout.systems.pm2.exporter.config import Pm2Config, WatchdogConfig
from lookout.systems.pm2.exporter import build
from lookout.systems.pm2.exporter.watchdog import WatchdogCollector
from lookout.exporters.runtime import Deadline, MetricSet


def _event(event: str, service: str, status: str, message: str) -> str:
    return json.dumps({"timestamp": "2026-01-13T10:00:00Z", "event": event, "service": service,
                       "status": status, "message": message}, separators=(",", ":")) + "\n"


def _collect(collector) -> dict:
    out = MetricSet("pm2")
    collector.collect(out, Deadline(5))
    values = {}
    for fam in out.families():
        for s in fam.samples:
            values[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return values


def _restarts(v, service):
    return v[("pm2_watchdog_restarts_total", (("service", service),))]


def _throttled(v, service, reason):
    return v[("pm2_watchdog_throttled_total", (("reason", reason), ("service", service)))]


def test_restarts_and_refusals_are_counted_per_process_from_the_end_of_the_log(tmp_path):
    log = tmp_path / "monitor-services.jsonl"
    log.write_text(_event("restart_complete", "rss-sync-server", "success", "Restart 1 of 3"))  # history
    collector = WatchdogCollector(WatchdogConfig(path=str(log)))
    v = _collect(collector)
    assert _restarts(v, "rss-sync-server") == 0
    with log.open("a") as f:
        f.write(_event("health_check", "main_app", "timeout", "No response from service"))
        f.write(_event("restart_attempt", "rss-reader-dev", "starting", "Attempting automatic restart"))
        f.write(_event("restart_complete", "rss-reader-dev", "success", "Restart 1 of 3"))
        f.write(_event("restart_throttled", "rss-reader-dev", "cooldown", "Waiting 180s before next restart attempt"))
        f.write(_event("restart_complete", "rss-reader-dev", "success", "Restart 2 of 3"))
        f.write(_event("restart_complete", "rss-reader-dev", "success", "Restart 3 of 3"))
        f.write(_event("restart_throttled", "rss-reader-dev", "rate_limited", "Max restarts per hour reached"))
        f.write(_event("restart_complete", "some-new-app", "success", "Restart 1 of 3"))
        f.write("not json\n")
    v = _collect(collector)
    assert _restarts(v, "rss-reader-dev") == 3
    assert _restarts(v, "rss-sync-server") == 0
    assert _restarts(v, "other") == 1  # an unknown name does not become a label value
    assert _throttled(v, "rss-reader-dev", "cooldown") == 1
    assert _throttled(v, "rss-reader-dev", "rate_limited") == 1
    collector.close()


def test_the_watchdog_is_read_only_where_configured():
    names = [c.name for c in build(Pm2Config())]
    assert "watchdog" not in names
    cfg = Pm2Config()
    cfg.watchdog.path = "/var/lib/rss/logs/monitor-services.jsonl"
    assert "watchdog" in [c.name for c in build(cfg)]
