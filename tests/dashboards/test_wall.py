"""The wall screen is readable from across a room and needs no hands: big tiles, no legends
or graphs, a 10-30 s refresh, everything on one 1080p screen in kiosk mode; and it is laid
out from the systems registry, so a fifth and a sixth system still fit."""
from __future__ import annotations

from lookout import records
import re

import pytest
from .dashboard_json import panels

from lookout.alert_rules.catalog import build as build_signals
from lookout.dashboards.common import signals_in_use
from lookout.dashboards.panels import render
from lookout.dashboards.wall import VALUE_SIZE, build
from lookout.systems import SYSTEMS, System

ROWS = [s.display_name for s in SYSTEMS] + ["Lookout"]
# Grafana's grid: 30 px rows plus an 8 px gap; kiosk mode leaves the whole 1080 px to it.
GRID_ROW_PX = 38
SCREEN_PX = 1080
MIN_VALUE_PX = 40


def seconds(duration: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([smh])", duration).groups()
    return int(number) * {"s": 1, "m": 60, "h": 3600}[unit]


def test_refreshes_every_10_to_30_seconds(dashboards):
    assert 10 <= seconds(dashboards["wall"]["refresh"]) <= 30


def test_one_row_per_system_and_one_for_lookout(dashboards):
    wall = dashboards["wall"]
    rows = [p for p in wall["panels"] if p["type"] == "row"]
    assert [r["title"] for r in rows] == ROWS
    for row, below in zip(rows, rows[1:] + [None]):
        inside = [p for p in panels(wall)
                  if p["gridPos"]["y"] > row["gridPos"]["y"] and (below is None or p["gridPos"]["y"] < below["gridPos"]["y"])]
        assert len(inside) >= 3, row["title"]


def test_big_coloured_tiles_and_nothing_to_read_small(dashboards):
    wall = panels(dashboards["wall"])
    assert {p["type"] for p in wall} <= {"stat", "table"}, "graphs and their legends do not read across a room"
    tiles = [p for p in wall if p["type"] == "stat"]
    assert len(tiles) >= 25
    assert VALUE_SIZE >= MIN_VALUE_PX
    for p in tiles:
        assert p["options"]["text"]["valueSize"] >= MIN_VALUE_PX, p["title"]
        assert p["options"]["graphMode"] == "none", p["title"]
        if len(p["fieldConfig"]["defaults"]["thresholds"]["steps"]) > 1:
            assert p["options"]["colorMode"] == "background", p["title"]
    alerts = [p for p in wall if p["type"] == "table"]
    assert len(alerts) == 1 and 'ALERTS{alertstate="firing"}' in alerts[0]["targets"][0]["expr"]
    # Grafana 10's table has no font size: its largest rows ("lg") are the legible choice.
    assert alerts[0]["options"]["cellHeight"] == "lg"


def test_fits_one_screen_without_scrolling(dashboards):
    assert fits(dashboards["wall"])


def fits(wall: dict) -> bool:
    bottom = max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in wall["panels"])
    return bottom * GRID_ROW_PX <= SCREEN_PX


def toy_systems(extra: int) -> tuple[System, ...]:
    """The registry plus `extra` toy systems, each showing the tiles of a real system's
    dashboard module (a sixth row of six tiles is what any new system could bring)."""
    toys = [records.replace(SYSTEMS[i % len(SYSTEMS)], key=f"toy{i}", display_name=f"Toy system {i}",
                                port=19000 + i, demo_target=f"toy{i}") for i in range(extra)]
    return (*SYSTEMS, *toys)


@pytest.mark.parametrize("total", [5, 6])
def test_up_to_six_systems_still_fit_1080p(total):
    systems = toy_systems(max(total - len(SYSTEMS), 0))[:total]
    with signals_in_use(build_signals()):
        wall = render(build(systems))
    rows = [p["title"] for p in wall["panels"] if p["type"] == "row"]
    assert rows == [s.display_name for s in systems] + ["Lookout"]
    assert fits(wall), "the wall scrolls"
    tiles = [p for p in panels(wall) if p["type"] == "stat"]
    assert len(tiles) >= 6 * len(systems)
    for p in tiles:
        assert p["options"]["text"]["valueSize"] >= MIN_VALUE_PX, p["title"]
        # 3 grid units = 106 px: a 44 px value under a title; 4 columns = 320 px of 1920.
        assert p["gridPos"]["h"] >= 3 and p["gridPos"]["w"] >= 4, (p["title"], p["gridPos"])
    firing = next(p for p in panels(wall) if p["type"] == "table")
    assert firing["gridPos"]["h"] >= 3


def test_more_systems_than_a_screen_holds_is_refused_not_scrolled():
    with pytest.raises(ValueError, match="fits 6 systems"):
        with signals_in_use(build_signals()):
            build(toy_systems(7 - len(SYSTEMS)))


def test_kiosk_friendly_nothing_to_pick(dashboards):
    wall = dashboards["wall"]
    assert wall["timepicker"]["hidden"]
    assert all(v["hide"] == 2 for v in wall["templating"]["list"])
    assert wall["time"]["to"] == "now"


def test_tiles_open_the_systems_dashboards(dashboards):
    uids = {d["uid"] for d in dashboards.values()}
    tiles = [p for p in panels(dashboards["wall"]) if p["type"] == "stat"]
    for p in tiles:
        assert p["links"], p["title"]
        uid = re.match(r"/d/([\w-]+)", p["links"][0]["url"]).group(1)
        assert uid in uids, (p["title"], uid)
