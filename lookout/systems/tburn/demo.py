"""TBURN's hooks for the native demo (lookout/demo/hooks.py lists them): the fast profile's
heap-growth hold, and the routes lookout-remediate may call."""
from __future__ import annotations

from lookout.systems import by_key

# The simulator's session cookie (lookout.systems.tburn.simulator --session): a demo value, not a secret.
COOKIE = "connect.sid=lookout-demo-session"

PROFILES = {
    "fast": {"thresholds": {
        # TburnMemoryGrowth compares hours, compressed to a minute; the TBURN simulator's GC
        # sawtooth runs in real time (about 70 s per cycle), so the compressed comparison swings
        # past +5% for up to ~30 s per cycle with no leak. Held longer than one cycle (each GC
        # brings growth below 0), only growth that outlasts GCs fires.
        "tburn_heap_growth": {"for_warning": "2m"},
    }},
}


def remediation(stack) -> dict:
    url = stack.sims[by_key("tburn").demo_target]
    return {"actions": {
        "tburn-pipeline-restart": {"type": "http", "alerts": ["TburnPipelineStopped"], "target": "tburn",
                                   "url": url, "timeout_seconds": 15, "cookie": COOKIE,
                                   "steps": [{"path": "/api/pipeline/stop"}, {"path": "/api/pipeline/start"}]},
        "tburn-exit-degraded": {"type": "http", "alerts": ["TburnRequestShedding"], "target": "tburn",
                                "url": url, "timeout_seconds": 15, "cookie": COOKIE,
                                "steps": [{"path": "/api/sharding/v6/shedder/exit-degraded"}]},
    }}
