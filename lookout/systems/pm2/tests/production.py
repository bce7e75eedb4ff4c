"""The sync server's root causes in the production-timing stack
(tests/e2e/test_production_timing.py): an unrelated PM2 process (`dev-worker`) stopped while
the sync server's queue backs up; the unrelated process pages for itself without hiding the
sync server's page."""
from __future__ import annotations

from tests.e2e.exposition import collectors

GiB = 1024**3

# The pages it must send, one each: (alertname, member label value or "").
PAGES = {("PM2ProcessDown", "dev-worker"), ("SyncQueueDepthHigh", "rss-sync-server")}
HELD: set[str] = set()


def serve(t: float | None) -> list[tuple[str, float]]:
    """The exporter's samples `t` seconds into the fault (None: healthy)."""
    fault = t is not None
    return [("pm2_up", 1.0),
            ('pm2_process_up{name="rss-sync-server",pm_id="0"}', 1.0),
            ('pm2_process_up{name="dev-worker",pm_id="1"}', 0.0 if fault else 1.0),
            ('pm2_process_restarts_total{name="rss-sync-server",pm_id="0"}', 0.0),
            ('pm2_process_restarts_total{name="dev-worker",pm_id="1"}', 0.0),
            ("pm2_sync_queue_pending", 800.0 if fault else 5.0),
            ('pm2_sync_health_status{pm2_sync_health_status="healthy"}', 1.0),
            ("pm2_host_memory_available_bytes", 4.0 * GiB),
            *collectors("pm2", set(), ("processes", "health", "sync_stats", "sync_log", "host"))]
