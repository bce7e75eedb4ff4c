"""The wall screen: one row of big tiles per system in the registry (each system's dashboard
module supplies its `wall_tiles()`) and one for Lookout, each tile the worst value across
everything watched, coloured by the alert catalog; the alerts firing now.
Readable across a room: no graphs, no legends, large text, refreshed every 15 s, and nothing
to click in kiosk mode (the tiles link to each system's dashboard).

The layout is computed, so a fifth or sixth system still fits one 1080p screen: tiles are
4 grid units tall while every row fits, else 3 (the least that holds a 44 px value and its
title); more systems than that fail generation rather than scroll."""
from __future__ import annotations

import importlib

from . import panels as P
from .common import UP_DOWN, WALL_VALUE_SIZE, describe, drill_down, tags, wall_tile

UID = "lookout-wall"
VALUE_SIZE = WALL_VALUE_SIZE
REFRESH = "15s"
FIRING = 'ALERTS{alertstate="firing"}'
# When each firing alert became active, in ms for Grafana's "time ago" unit.
FIRING_SINCE = f'1000 * (ALERTS_FOR_STATE and ignoring(alertstate) {FIRING})'
SEVERITY = [P.State("critical", "critical", "red"), P.State("warning", "warning", "yellow")]

# Grafana's grid row is 30 px plus an 8 px gap; kiosk mode gives the whole 1080 px to it.
SCREEN_UNITS = 1080 // 38
TILE_HEIGHTS = (4, 3)        # preferred first; 3 units (106 px) is the least that stays legible
MAX_TILES = 6                # per system: at least 4 grid columns (320 px at 1920) each
LOOKOUT_HEIGHTS = (6, 3)     # the "Firing now" table: its most useful and its least height


def layout(systems: int) -> tuple[int, int]:
    """(tile height, Lookout band height) in grid units for `systems` rows of tiles, each
    under a one-unit row header, plus Lookout's band; ValueError when even the smallest
    tiles do not fit one screen."""
    for tile_h in TILE_HEIGHTS:
        left = SCREEN_UNITS - systems * (1 + tile_h) - 1
        if left >= LOOKOUT_HEIGHTS[1]:
            return tile_h, min(left, LOOKOUT_HEIGHTS[0])
    fits = (SCREEN_UNITS - 1 - LOOKOUT_HEIGHTS[1]) // (1 + TILE_HEIGHTS[-1])
    raise ValueError(f"the wall screen fits {fits} systems on a 1080p screen, not {systems}")


def system_row(system, tile_h: int) -> P.Row:
    tiles = importlib.import_module(system.dashboard_module).wall_tiles()
    if not 1 <= len(tiles) <= MAX_TILES:
        raise ValueError(f"{system.dashboard_module}.wall_tiles(): {len(tiles)} tiles, the wall takes 1..{MAX_TILES}")
    width = P.GRID_WIDTH // max(len(tiles), 4)
    return P.row(system.display_name, *(P.sized(t, w=width, h=tile_h) for t in tiles))


def build(systems=None):
    """The wall for `systems` (default: the registry's)."""
    if systems is None:
        from lookout.systems import SYSTEMS as systems
    tile_h, lookout_h = layout(len(systems))
    exporters = drill_down("lookout-exporters", "Exporters")
    lookout = P.row(
        "Lookout",
        wall_tile("exporter_up", "Exporters up", exporters, w=5, h=lookout_h, states=UP_DOWN),
        wall_tile("exporter_collector_success", "Collectors OK", exporters, w=5, h=lookout_h, states=UP_DOWN),
        P.table("Firing now", [("Since", FIRING_SINCE, "dateTimeFromNow")],
                keep=("severity", "alertname", "system", "instance"), states={"severity": SEVERITY},
                w=14, h=lookout_h, cell_height="lg", no_value="Nothing firing",
                description="Prometheus's firing alerts (the ALERTS series), newest rules' labels."),
    )
    return P.dashboard(
        UID, "Lookout / Wall screen", [*(system_row(s, tile_h) for s in systems), lookout],
        description=describe(__name__, "The wall screen: every system at a glance, and what is firing."),
        tags=tags("wall"), refresh=REFRESH, time_from="now-30m", kiosk=True,
        links=P.dashboard_links("lookout"),
    )
