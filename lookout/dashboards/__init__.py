"""Grafana dashboards generated from code: the wall screen, one dashboard per system of the
registry (`lookout.systems`: each system names its dashboard module), and Lookout's own.

Each module builds one dashboard through the factories in `panels.py` (the only module that
knows grafana-foundation-sdk); colours come from the alert catalog's signals, never typed here. A system's
module defines `UID`, `build()` and `wall_tiles()` (its row of the wall screen).
`python -m lookout.dashboards` writes them to dashboards/generated/; `--check` reports drift.
"""
from __future__ import annotations


def dashboard_modules(systems=None) -> dict[str, str]:
    """Generated file stem -> module, in writing order: the wall, each system's dashboard
    (its file named by the system's key), then Lookout's own."""
    if systems is None:
        from lookout.systems import SYSTEMS as systems
    return {"wall": f"{__name__}.wall", **{s.key: s.dashboard_module for s in systems},
            "lookout": f"{__name__}.lookout"}
