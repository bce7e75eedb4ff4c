"""Grafana dashboards generated from code: the wall screen and one dashboard per system.

Each module builds one dashboard through the factories in `panels.py` (the only module that
knows grafanalib); colours come from the alert catalog's signals, never typed here.
`python -m lookout.dashboards` writes them to dashboards/generated/; `--check` reports drift.
"""

# Module name -> generated file name stem; the order is the order they are written in.
DASHBOARDS = ("wall", "nectar", "ticks", "sync_server", "tburn", "lookout")
