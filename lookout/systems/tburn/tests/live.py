"""TBURN in the live stack (tests/dashboards/live_stack.py): the simulator, and the exporter
scraping it with every opt-in route on, so every panel of its dashboard has data."""
from __future__ import annotations

from lookout.devstack.simulator import SimulatorProcess

# Panels a short run cannot fill (tests/dashboards/test_live_data.py), each with why.
MAY_BE_EMPTY = {
    ("tburn", "Heap growth (1h)"): "compares with the heap an hour ago (offset 1h)",
    ("tburn", "Heap growth over the last hour"): "compares with the heap an hour ago (offset 1h)",
    ("tburn", "Configured fields missing (1h)"):
        "exists only for collectors that declare configured fields (Collector.field_names())",
}


def start(stack) -> None:
    """Start it on `stack` (a live_stack.Stack): backend, activity, exporter."""
    sim = SimulatorProcess(stack.workdir, ["--seed", "7"])
    stack.later(sim.stop)
    sim.wait_ready()
    # The memory guardian's cleanup forces a GC, so lastGcAt is set (null on a fresh process).
    assert sim.control("POST", "/api/memory-guardian/force-cleanup")[0] == 200
    # A minimum scrape interval, so <ns>_scrape_cache_age_seconds exists (only then is it served).
    # The cookie is the simulator's default session (`--session`), as TBURN's requireAuth wants.
    # The DB pool block is opt-in (today's TBURN never fills it), and so are the shard routes
    # (they start TBURN's simulated orchestrator); the dashboard shows them where an
    # operator turns them on, as here.
    stack.exporter("tburn", {"base_url": sim.url, "scrape": {"min_interval_seconds": 1},
                            "auth": {"cookie": "connect.sid=lookout-demo-session"},
                            "endpoints": {"db_pool": {"enabled": True}, "circuit_breakers": {"enabled": True},
                                          "shards": {"enabled": True}}})
