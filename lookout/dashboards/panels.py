"""Panel factories: the one module that knows the dashboard library, grafana-foundation-sdk
(the build for Grafana 10.4, the Grafana in compose).

Dashboard modules describe what to show (queries, units, the catalog signal that colours a
panel) through these functions and never import the SDK themselves, so moving to another
generator means rewriting this file only. Everything here returns opaque objects except
`render`, which gives the Grafana JSON model as plain dicts.

Only the SDK's public builders and models are used (grafanalib needed its private encoder,
`_current` and four `extraJson` patches). Where the builders stop: the schema version has no
builder method, so `dashboard` sets the built model's public field; the 10.4 table has no
font size, so none is written. A panel is kept as a recipe (`Panel`) rather than a builder because
builders are mutable and the dashboard still has to place it (`_layout`) and scope its
queries after a dashboard module made it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Callable

from grafana_foundation_sdk.builders import dashboard as D
from grafana_foundation_sdk.builders import common as C
from grafana_foundation_sdk.builders import prometheus, stat as S, statetimeline, table as T
from grafana_foundation_sdk.builders import timeseries as TS
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common as c
from grafana_foundation_sdk.models import dashboard as m
from grafana_foundation_sdk.models import prometheus as mp

from . import colours
from .promql import JOB_INSTANCE, scope

# Panels query whichever Prometheus the datasource variable selects.
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
# The schema version Grafana 10.4 writes (DASHBOARD_SCHEMA_VERSION in grafana/grafana's
# public/app/features/dashboard/state/DashboardMigrator.ts): Grafana runs no migration over
# these dashboards, so they use the 10.4 forms themselves (a table cell's `cellOptions`,
# which migration 38 would otherwise make from `displayMode`). The SDK's model defaults to
# 36 and has no builder method for it, so `dashboard` sets the model's public field.
SCHEMA_VERSION = 39
# A table cell coloured by its thresholds or mappings: what migration 38 turns the legacy
# `custom.displayMode: color-background` into (grafana-ui's migrateTableDisplayModeToCellOptions).
COLOUR_CELL = m.DynamicConfigValue(id_val="custom.cellOptions", value={"type": "color-background", "mode": "gradient"})
GRID_WIDTH = 24
# Panels without a catalog signal have no colour to convey.
NEUTRAL = [{"color": "text", "value": None}]
# The marker the drift test reads: which catalog signal coloured a panel.
SIGNAL_NOTE = "Colours: catalog signal `{key}` (alert {alert})."


@dataclass
class Row:
    title: str
    panels: list = field(default_factory=list)


@dataclass(frozen=True)
class State:
    """One value of a mapped metric: 1 -> "UP" in green, a state set's index -> its name."""

    value: int | str
    text: str
    color: str


@dataclass(frozen=True)
class Panel:
    """A panel not yet placed: `make(rewrite)` returns the SDK builder with every query
    passed through `rewrite` (str -> str); `w`, `h` are grid units."""

    make: Callable[[Callable[[str], str]], object]
    w: int
    h: int


def row(title: str, *panels) -> Row:
    return Row(title, list(panels))


def signal_steps(signal) -> list[dict]:
    """Grafana threshold steps where the catalog signal's alert changes severity (colours.py).
    A tuple of signals bounding one quantity from both sides (a floor and a ceiling) gives
    the first one's base and every signal's boundaries in order."""
    return [{"color": color, "value": value} for value, color in colours.signal_steps(_signals(signal))]


def _signals(signal) -> tuple:
    return tuple(signal) if isinstance(signal, (tuple, list)) else ((signal,) if signal else ())


def _describe(description: str, signal) -> str:
    notes = [SIGNAL_NOTE.format(key=s.key, alert=s.alert) for s in _signals(signal)]
    return " ".join(part for part in (description, *notes) if part)


def _datasource() -> m.DataSourceRef:
    return m.DataSourceRef(type_val=DATASOURCE["type"], uid=DATASOURCE["uid"])


def _thresholds(steps: list[dict]) -> D.ThresholdsConfig:
    return D.ThresholdsConfig().mode(m.ThresholdsMode.ABSOLUTE).steps(
        [m.Threshold(value=s["value"], color=s["color"]) for s in steps])


def _targets(queries, rewrite: Callable[[str], str], instant: bool = False, table: bool = False) -> list:
    """`queries` is one expression or a list of (expression, legend) pairs."""
    if isinstance(queries, str):
        queries = [(queries, "")]
    targets = []
    for i, (expr, legend) in enumerate(queries):
        q = (prometheus.Dataquery().expr(rewrite(expr)).legend_format(legend).ref_id(chr(ord("A") + i))
             .format(mp.PromQueryFormat.TABLE if table else mp.PromQueryFormat.TIME_SERIES)
             .interval_factor(1).datasource(_datasource()))
        targets.append(q.instant() if instant else q.range())
    return targets


def _mappings(states: list[State]) -> list:
    if not states:
        return []
    return [m.ValueMap(options={str(s.value): m.ValueMappingResult(text=s.text, color=s.color, index=i)
                                for i, s in enumerate(states)})]


def _common(builder, title: str, targets: list, description: str, links=()):
    """What every panel sets the same way; links are (title, url) panel links."""
    builder = builder.title(title).description(description).datasource(_datasource()).targets(targets)
    if links:
        builder = builder.links([D.DashboardLink(link["title"]).url(link["url"]) for link in links])
    return builder


def _check_width(w: int) -> None:
    if not 1 <= w <= GRID_WIDTH:
        raise ValueError(f"panel width {w} outside 1..{GRID_WIDTH}")


def _panel(make, w: int, h: int) -> Panel:
    _check_width(w)
    return Panel(make, w, h)


def sized(panel: Panel, *, w: int, h: int) -> Panel:
    """The same panel at another size."""
    _check_width(w)
    return replace(panel, w=w, h=h)


def stat(title: str, queries, *, unit: str = "none", signal=None, states: list[State] = (),
         w: int = 4, h: int = 4, value_size: int | None = None, text_mode: str = "auto",
         sparkline: bool = False, decimals: int | None = None, description: str = "",
         no_value: str = "No data", links: list[dict] = ()) -> Panel:
    """A single-value tile; coloured by the signal's steps, or by `states` for mapped values."""
    coloured = signal is not None or bool(states)
    steps = signal_steps(signal) if signal else NEUTRAL
    states = list(states)

    def make(rewrite):
        p = (_common(S.Panel(), title, _targets(queries, rewrite), _describe(description, signal), links)
             .unit(unit).thresholds(_thresholds(steps)).mappings(_mappings(states)).no_value(no_value)
             .color_scheme(D.FieldColor().mode(m.FieldColorModeId.THRESHOLDS))
             .reduce_options(C.ReduceDataOptions().calcs(["lastNotNull"]).values(False).fields(""))
             .color_mode(c.BigValueColorMode.BACKGROUND if coloured else c.BigValueColorMode.VALUE)
             .graph_mode(c.BigValueGraphMode.AREA if sparkline else c.BigValueGraphMode.NONE)
             .text_mode(c.BigValueTextMode(text_mode))
             .justify_mode(c.BigValueJustifyMode.AUTO).orientation(c.VizOrientation.AUTO))
        if decimals is not None:
            p = p.decimals(decimals)
        if value_size:
            p = p.text(C.VizTextDisplayOptions().value_size(value_size).title_size(max(value_size // 3, 14)))
        return p
    return _panel(make, w, h)


def _stacking(mode: c.StackingMode) -> C.StackingConfig:
    return C.StackingConfig().mode(mode).group("A")


def timeseries(title: str, queries, *, unit: str, signal=None, w: int = 12, h: int = 8,
               lo: float | None = None, hi: float | None = None, stacked: bool = False,
               references: tuple[str, ...] = (), legend: bool = True, bars: bool = False,
               description: str = "") -> Panel:
    """A graph. A signal draws its boundaries as lines over coloured bands; series whose
    legend matches a `references` pattern (limits, targets, the tip) are drawn dashed."""
    def make(rewrite):
        p = (_common(TS.Panel(), title, _targets(queries, rewrite), _describe(description, signal))
             .unit(unit).thresholds(_thresholds(signal_steps(signal) if signal else NEUTRAL))
             .color_scheme(D.FieldColor().mode(m.FieldColorModeId.PALETTE_CLASSIC))
             .thresholds_style(C.GraphThresholdsStyleConfig().mode(
                 c.GraphThresholdsStyleMode.LINE_AND_AREA if signal else c.GraphThresholdsStyleMode.OFF))
             .draw_style(c.GraphDrawStyle.BARS if bars else c.GraphDrawStyle.LINE)
             .fill_opacity(60 if bars else (25 if stacked else 10))
             .stacking(_stacking(c.StackingMode.NORMAL if stacked else c.StackingMode.NONE))
             .show_points(c.VisibilityMode.NEVER)
             .legend(C.VizLegendOptions().show_legend(legend).placement(c.LegendPlacement.BOTTOM).calcs([])
                     .display_mode(c.LegendDisplayMode.LIST if legend else c.LegendDisplayMode.HIDDEN))
             .tooltip(C.VizTooltipOptions().mode(c.TooltipDisplayMode.MULTI).sort(c.SortOrder.DESCENDING)))
        if lo is not None:
            p = p.min(lo)
        if hi is not None:
            p = p.max(hi)
        for pattern in references:
            p = p.override_by_regexp(pattern, [
                m.DynamicConfigValue(id_val="custom.lineStyle", value={"fill": "dash", "dash": [10, 10]}),
                m.DynamicConfigValue(id_val="custom.fillOpacity", value=0),
                m.DynamicConfigValue(id_val="custom.stacking", value={"mode": "none", "group": "A"})])
        return p
    return _panel(make, w, h)


def state_timeline(title: str, queries, *, states: list[State], w: int = 12, h: int = 6,
                   description: str = "") -> Panel:
    """Which state each series was in over time; `queries` yield the state's number."""
    def make(rewrite):
        return (_common(statetimeline.Panel(), title, _targets(queries, rewrite), description)
                .mappings(_mappings(states)).thresholds(_thresholds(NEUTRAL))
                .color_scheme(D.FieldColor().mode(m.FieldColorModeId.THRESHOLDS))
                .legend(C.VizLegendOptions().show_legend(False).display_mode(c.LegendDisplayMode.HIDDEN)
                        .placement(c.LegendPlacement.BOTTOM))
                .tooltip(C.VizTooltipOptions().mode(c.TooltipDisplayMode.SINGLE).sort(c.SortOrder.NONE))
                .show_value(c.VisibilityMode.AUTO).merge_values(True).fill_opacity(80).row_height(0.9)
                .line_width(0).align_value(c.TimelineValueAlignment.LEFT))
    return _panel(make, w, h)


def table(title: str, columns: list[tuple[str, str, str]], *, keep: tuple[str, ...],
          w: int = 24, h: int = 8, signals: dict | None = None, states: dict | None = None,
          cell_height: str = "sm", no_value: str = "No data", description: str = "") -> Panel:
    """One row per label set: `columns` are (header, expression, unit) instant queries joined
    on the `keep` labels. `signals` colour a value column by its header, `states` map and
    colour a value or label column by its name. `cell_height` is Grafana's row height, "sm",
    "md" or "lg": the 10.4 table has no font size (grafanalib's `fontSize` was the pre-7.0
    table's, ignored since)."""
    signals, states = signals or {}, states or {}
    # Every column reduced to exactly the `keep` labels, or the merge cannot join the rows.
    by = ", ".join(keep)
    queries = [(f"max by ({by}) ({expr})", header) for header, expr, _ in columns]
    renames = {(f"Value #{chr(ord('A') + i)}" if len(columns) > 1 else "Value"): header
               for i, (header, _, _) in enumerate(columns)}
    notes = [_describe("", signals[h]) for h in signals]
    names = list(keep) + list(renames)
    transformations = ([m.DataTransformerConfig(id_val="merge", options={})] if len(columns) > 1 else []) + [
        m.DataTransformerConfig(id_val="filterFieldsByName", options={"include": {"names": names}}),
        m.DataTransformerConfig(id_val="organize", options={
            "renameByName": renames, "indexByName": {n: i for i, n in enumerate(names)}}),
    ]

    def make(rewrite):
        p = (_common(T.Panel(), title, _targets(queries, rewrite, instant=True, table=True),
                     " ".join([description] + notes).strip())
             .no_value(no_value).thresholds(_thresholds(NEUTRAL)).transformations(transformations)
             .show_header(True).align(c.FieldTextAlignment.AUTO).filterable(False)
             .cell_height(c.TableCellHeight(cell_height)))
        for header, _, unit in columns:
            props = [m.DynamicConfigValue(id_val="unit", value=unit)]
            if header in signals:
                props += [m.DynamicConfigValue(id_val="thresholds", value={
                              "mode": "absolute", "steps": signal_steps(signals[header])}),
                          COLOUR_CELL]
            p = p.override_by_name(header, props)
        for name, mapped in states.items():  # a value column's header or a label's name
            p = p.override_by_name(name, [
                m.DynamicConfigValue(id_val="mappings", value=_mappings(mapped)),
                COLOUR_CELL])
        return p
    return _panel(make, w, h)


# --- variables -----------------------------------------------------------------------------

def datasource_variable(hidden: bool = False):
    # "default" is Grafana's default data source: the provisioned one, or any user's own.
    return (D.DatasourceVariable("datasource").label("Data source").type("prometheus")
            .hide(m.VariableHide.HIDE_VARIABLE if hidden else m.VariableHide.DONT_HIDE)
            .current(m.VariableOption(selected=True, text="default", value="default"))
            .multi(False).include_all(False))


def job_instance_variables(metric: str) -> list:
    """$job and $instance from the series `metric` (every exporter serves <ns>_up)."""
    job = _label_variable("job", "Job", f"label_values({metric}, job)")
    instance = _label_variable("instance", "Instance", f'label_values({metric}{{job=~"$job"}}, instance)')
    return [job, instance]


def _label_variable(name: str, label: str, query: str):
    return (D.QueryVariable(name).label(label).query(query).datasource(_datasource())
            .include_all(True).multi(True).all_value(".*").refresh(m.VariableRefresh.ON_TIME_RANGE_CHANGED)
            .sort(m.VariableSort.ALPHABETICAL_ASC).hide(m.VariableHide.DONT_HIDE)
            .current(m.VariableOption(selected=True, text=["All"], value=["$__all"])))


# --- dashboards ----------------------------------------------------------------------------

# Grafana's own defaults for the time picker, written out so the JSON does not depend on them.
REFRESH_INTERVALS = ["5s", "10s", "30s", "1m", "5m", "15m", "30m", "1h", "2h", "1d"]
TIME_OPTIONS = ["5m", "15m", "1h", "6h", "12h", "24h", "2d", "7d", "30d"]


def dashboard(uid: str, title: str, rows: list[Row], *, description: str, tags: list[str],
              refresh: str = "30s", time_from: str = "now-6h", variables: list = (),
              scoped: bool = False, kiosk: bool = False, links: list[dict] = ()):
    """Lay the rows out top to bottom, panels left to right. `scoped` adds the $job/$instance
    selection to every query; `kiosk` hides the time picker and variables for a wall screen."""
    rewrite = (lambda expr: scope(expr, JOB_INSTANCE)) if scoped else (lambda expr: expr)
    builder = (D.Dashboard(title).uid(uid).description(description).tags(list(tags)).refresh(refresh)
               .time(time_from, "now").timezone("browser")
               .timepicker(D.TimePicker().hidden(kiosk).refresh_intervals(REFRESH_INTERVALS)
                           .time_options(TIME_OPTIONS))
               .tooltip(m.DashboardCursorSync.CROSSHAIR)
               .variables([datasource_variable(hidden=kiosk), *variables])
               .links([_dashboard_link(link) for link in links]))
    builder = builder.readonly() if kiosk else builder.editable()
    for panel_id, (kind, item, pos) in enumerate(_layout(rows), start=1):
        pos = m.GridPos(h=pos[3], w=pos[2], x=pos[0], y=pos[1])
        if kind == "row":
            builder = builder.with_row(D.Row(item.title).id(panel_id).grid_pos(pos))
        else:
            builder = builder.with_panel(item.make(rewrite).id(panel_id).grid_pos(pos))
    model = builder.build()
    model.schema_version = SCHEMA_VERSION
    return model


def _dashboard_link(link: dict) -> D.DashboardLink:
    return (D.DashboardLink(link["title"]).type(m.DashboardLinkType(link["type"])).tags(link["tags"])
            .as_dropdown(link["asDropdown"]).include_vars(link["includeVars"]).keep_time(link["keepTime"])
            .target_blank(link["targetBlank"]).icon(link["icon"]))


def dashboard_links(tag: str) -> list[dict]:
    """A drop-down in the dashboard's top bar listing every dashboard carrying `tag`."""
    return [{"title": "Lookout", "type": "dashboards", "tags": [tag], "asDropdown": True,
             "includeVars": False, "keepTime": True, "targetBlank": False, "icon": "external link"}]


def render(dash) -> dict:
    """The Grafana JSON model as plain data."""
    return json.loads(json.dumps(dash, cls=JSONEncoder))


def _layout(rows: list[Row]) -> list[tuple[str, object, tuple[int, int, int, int]]]:
    """("row" | "panel", the item, (x, y, w, h)) in reading order. Our own rather than the
    SDK's auto-layout, which wraps only after a line overflows 24 columns."""
    placed, y = [], 0
    for r in rows:
        placed.append(("row", r, (0, y, GRID_WIDTH, 1)))
        y += 1
        x, line_height = 0, 0
        for panel in r.panels:
            if x + panel.w > GRID_WIDTH:
                x, y, line_height = 0, y + line_height, 0
            placed.append(("panel", panel, (x, y, panel.w, panel.h)))
            x, line_height = x + panel.w, max(line_height, panel.h)
        y += line_height
    return placed
