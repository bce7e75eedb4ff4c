"""The tick collector's root cause in the production-timing stack
(tests/e2e/test_production_timing.py): ticks stalled.

One concession to the test's budget, with the rules untouched: the stall is served as one that
began 10 minutes before injection (TicksStale's critical is "older than 600 s" with no `for`)."""
from __future__ import annotations

from tests.e2e.exposition import collectors

# The page it must send, once: (alertname, member label value or "").
PAGES = {("TicksStale", "eth_option_quotes")}
# Held down in the rules while the cause fires (docs/alerting.md, the hold-down).
HELD = {"TickRateLow"}


def serve(t: float | None) -> list[tuple[str, float]]:
    """The exporter's samples `t` seconds into the fault (None: healthy)."""
    table = 'table="eth_option_quotes"'
    stalled = t is not None
    return [("ticks_up", 1.0),
            (f"ticks_table_last_tick_age_seconds{{{table}}}", 600.0 + 15 + t if stalled else 2.0),
            (f"ticks_table_ticks_per_minute{{{table}}}", 0.0 if stalled else 200.0),
            ('ticks_container_running{container="eth-collector"}', 1.0),
            ("ticks_disk_used_ratio{path=\"/var/lib/postgresql\"}", 0.4),
            *collectors("ticks", set(), ("ping", "table_eth_option_quotes", "containers", "logs", "disk"))]
