"""Nectar's root cause in the production-timing stack (tests/e2e/test_production_timing.py):
TiDB down, so Nectar's exporter cannot reach it and Nectar reconnects."""
from __future__ import annotations

from tests.e2e.exposition import collectors

GiB = 1024**3

# The page it must send, once: (alertname, member label value or "").
PAGES = {("NectarDatabaseDown", "")}
# Held down in the rules while the cause fires (docs/alerting.md, the hold-down).
HELD = {"NectarReconnecting"}


def serve(t: float | None) -> list[tuple[str, float]]:
    """The exporter's samples `t` seconds into the fault (None: healthy)."""
    # lookout/systems/nectar/exporter: chain, processlist and server query TiDB; process and
    # logfile do not. Nectar's ConnectionRecovery logs a reconnection episode every 10 s.
    down = t is not None
    lines = [("nectar_up", 0.0 if down else 1.0), ("nectar_process_up", 1.0),
             ("nectar_process_resident_memory_bytes", 60.0 * GiB),
             ("nectar_reconnect_episodes_total", float(min(int(t // 10) + 1, 10)) if down else 0.0),
             ("nectar_reconnect_giveups_total", 0.0)]
    lines += collectors("nectar", {"chain", "processlist", "server"} if down else set(),
                        ("chain", "processlist", "server", "process", "logfile"))
    if not down:
        lines += [("nectar_chain_block", 8_000_000.0), ("nectar_chain_lag_slots", 100.0),
                  ("nectar_database_uptime_seconds", 86_400.0),
                  ("nectar_processlist_oldest_query_seconds", 0.0)]
    return lines
