"""The toy queue: is it up, how deep is the queue, how many workers take from it."""
from __future__ import annotations

from lookout.dashboards import panels as P
from lookout.dashboards.common import UP_DOWN, describe, drill_down, graph, tags, tile, wall_stat, wall_tile

UID = "lookout-toy"
LINK = drill_down(UID, "Toy queue")


def wall_tiles() -> list:
    return [wall_tile("toy_queue_depth", "Queue", LINK), wall_stat("Workers", "min(toy_workers)", LINK),
            wall_tile("toy_up", "Toy queue", LINK, states=UP_DOWN)]


def build():
    queue = P.row(
        "Queue",
        tile("toy_up", "/stats", states=UP_DOWN, w=6),
        tile("toy_queue_depth", "Queue depth", w=6, decimals=0),
        P.stat("Workers", "toy_workers", w=6, decimals=0),
        graph("toy_queue_depth", "Queue depth against the alert levels", w=24),
    )
    return P.dashboard(UID, "Lookout / Toy queue", [queue],
                       description=describe(__name__, "The toy queue: up, queue depth, workers."),
                       tags=tags("toy"), variables=P.job_instance_variables("toy_up"), scoped=True,
                       links=P.dashboard_links("lookout"))
