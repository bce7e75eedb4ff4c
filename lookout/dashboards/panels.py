"""Panel factories: the one module that knows grafanalib.

Dashboard modules describe what to show (queries, units, the catalog signal that colours a
panel) through these functions and never import grafanalib themselves, so moving to another
generator means rewriting this file only. Everything here returns opaque objects except
`render`, which gives the Grafana JSON model as plain dicts.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import attr
from grafanalib import core as G
from grafanalib._gen import DashboardEncoder

from . import colours
from .promql import JOB_INSTANCE, scope

# Panels query whichever Prometheus the datasource variable selects.
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
# Grafana 9's schema: newer Grafanas migrate forward; an older number would run legacy
# migrations (graph/singlestat) over panels that never were those.
SCHEMA_VERSION = 37
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


def _targets(queries, instant: bool = False, table: bool = False) -> list:
    """`queries` is one expression or a list of (expression, legend) pairs."""
    if isinstance(queries, str):
        queries = [(queries, "")]
    return [G.Target(expr=expr, legendFormat=legend, refId=chr(ord("A") + i), instant=instant,
                     format=G.TABLE_TARGET_FORMAT if table else G.TIME_SERIES_TARGET_FORMAT,
                     intervalFactor=1, datasource=DATASOURCE)
            for i, (expr, legend) in enumerate(queries)]


def _mappings(states: list[State]) -> list[dict]:
    if not states:
        return []
    return [{"type": "value", "options": {
        str(s.value): {"text": s.text, "color": s.color, "index": i} for i, s in enumerate(states)}}]


def _size(w: int, h: int) -> G.GridPos:
    if not 1 <= w <= GRID_WIDTH:
        raise ValueError(f"panel width {w} outside 1..{GRID_WIDTH}")
    return G.GridPos(h=h, w=w, x=0, y=0)


def sized(panel, *, w: int, h: int):
    """The same panel at another size."""
    return attr.evolve(panel, gridPos=_size(w, h))


def stat(title: str, queries, *, unit: str = "none", signal=None, states: list[State] = (),
         w: int = 4, h: int = 4, value_size: int | None = None, text_mode: str = "auto",
         sparkline: bool = False, decimals: int | None = None, description: str = "",
         no_value: str = "No data", links: list[dict] = ()):
    """A single-value tile; coloured by the signal's steps, or by `states` for mapped values."""
    coloured = signal is not None or bool(states)
    steps = signal_steps(signal) if signal else NEUTRAL
    options: dict = {}
    if value_size:
        options["text"] = {"valueSize": value_size, "titleSize": max(value_size // 3, 14)}
    return G.Stat(
        title=title, targets=_targets(queries), dataSource=DATASOURCE, gridPos=_size(w, h),
        description=_describe(description, signal), format=unit, decimals=decimals,
        thresholds=steps, mappings=_mappings(list(states)), reduceCalc="lastNotNull",
        colorMode="background" if coloured else "value", graphMode="area" if sparkline else "none",
        textMode=text_mode, noValue=no_value, links=list(links),
        extraJson={"fieldConfig": {"defaults": {"color": {"mode": "thresholds"}}}, "options": options},
    )


def timeseries(title: str, queries, *, unit: str, signal=None, w: int = 12, h: int = 8,
               lo: float | None = None, hi: float | None = None, stacked: bool = False,
               references: tuple[str, ...] = (), legend: bool = True, bars: bool = False,
               description: str = ""):
    """A graph. A signal draws its boundaries as lines over coloured bands; series whose
    legend matches a `references` pattern (limits, targets, the tip) are drawn dashed."""
    overrides = [{"matcher": {"id": "byRegexp", "options": pattern},
                  "properties": [{"id": "custom.lineStyle", "value": {"fill": "dash", "dash": [10, 10]}},
                                 {"id": "custom.fillOpacity", "value": 0},
                                 {"id": "custom.stacking", "value": {"mode": "none", "group": "A"}}]}
                 for pattern in references]
    return G.TimeSeries(
        title=title, targets=_targets(queries), dataSource=DATASOURCE, gridPos=_size(w, h),
        description=_describe(description, signal), unit=unit,
        thresholds=signal_steps(signal) if signal else NEUTRAL,
        thresholdsStyleMode="line+area" if signal else "off",
        drawStyle="bars" if bars else "line", fillOpacity=60 if bars else (25 if stacked else 10),
        stacking={"mode": "normal", "group": "A"} if stacked else {"mode": "none", "group": "A"},
        legendDisplayMode="list" if legend else "hidden", tooltipMode="multi", tooltipSort="desc",
        overrides=overrides, showPoints="never", maxDataPoints=None,
        extraJson={"fieldConfig": {"defaults": {"min": lo, "max": hi}}},
    )


def state_timeline(title: str, queries, *, states: list[State], w: int = 12, h: int = 6,
                   description: str = ""):
    """Which state each series was in over time; `queries` yield the state's number."""
    return G.StateTimeline(
        title=title, targets=_targets(queries), dataSource=DATASOURCE, gridPos=_size(w, h),
        description=description, mappings=_mappings(states), legendDisplayMode="hidden",
        showValue="auto", mergeValues=True, fillOpacity=80, rowHeight=0.9,
        extraJson={"fieldConfig": {"defaults": {"thresholds": {"mode": "absolute", "steps": NEUTRAL}}}},
    )


def table(title: str, columns: list[tuple[str, str, str]], *, keep: tuple[str, ...],
          w: int = 24, h: int = 8, signals: dict | None = None, states: dict | None = None,
          font_size: str = "100%", no_value: str = "No data", description: str = ""):
    """One row per label set: `columns` are (header, expression, unit) instant queries joined
    on the `keep` labels. `signals` colour a value column by its header, `states` map and
    colour a value or label column by its name."""
    signals, states = signals or {}, states or {}
    # Every column reduced to exactly the `keep` labels, or the merge cannot join the rows.
    by = ", ".join(keep)
    targets = _targets([(f"max by ({by}) ({expr})", header) for header, expr, _ in columns],
                       instant=True, table=True)
    overrides, renames = [], {}
    for target, (header, _, unit) in zip(targets, columns):
        value_field = f"Value #{target.refId}" if len(columns) > 1 else "Value"
        renames[value_field] = header
        props = [{"id": "unit", "value": unit}]
        if header in signals:
            props += [{"id": "thresholds", "value": {"mode": "absolute", "steps": signal_steps(signals[header])}},
                      {"id": "custom.displayMode", "value": "color-background"}]
        overrides.append({"matcher": {"id": "byName", "options": header}, "properties": props})
    for name, mapped in states.items():  # a value column's header or a label's name
        overrides.append({"matcher": {"id": "byName", "options": name}, "properties": [
            {"id": "mappings", "value": _mappings(mapped)}, {"id": "custom.displayMode", "value": "color-background"}]})
    notes = [_describe("", signals[h]) for h in signals]
    transformations = ([{"id": "merge", "options": {}}] if len(columns) > 1 else []) + [
        {"id": "filterFieldsByName", "options": {"include": {"names": list(keep) + list(renames)}}},
        {"id": "organize", "options": {"renameByName": renames,
                                       "indexByName": {n: i for i, n in enumerate(list(keep) + list(renames))}}},
    ]
    return G.Table(
        title=title, targets=targets, dataSource=DATASOURCE, gridPos=_size(w, h),
        description=" ".join([description] + notes).strip(), overrides=overrides,
        transformations=transformations, fontSize=font_size,
        extraJson={"fieldConfig": {"defaults": {"noValue": no_value,
                                                "thresholds": {"mode": "absolute", "steps": NEUTRAL}}}},
    )


# --- variables -----------------------------------------------------------------------------

def datasource_variable(hidden: bool = False):
    var = G.Template(name="datasource", label="Data source", query="prometheus", type="datasource",
                     hide=G.HIDE_VARIABLE if hidden else G.SHOW)
    # "default" is Grafana's default data source: the provisioned one, or any user's own.
    var._current = {"selected": True, "text": "default", "value": "default"}
    return var


def job_instance_variables(metric: str) -> list:
    """$job and $instance from the series `metric` (every exporter serves <ns>_up)."""
    job = _label_variable("job", "Job", f"label_values({metric}, job)")
    instance = _label_variable("instance", "Instance", f'label_values({metric}{{job=~"$job"}}, instance)')
    return [job, instance]


def _label_variable(name: str, label: str, query: str):
    var = G.Template(name=name, label=label, query=query, dataSource=DATASOURCE, includeAll=True,
                     multi=True, allValue=".*", refresh=G.REFRESH_ON_TIME_RANGE_CHANGE,
                     sort=G.SORT_ALPHA_ASC)
    var._current = {"selected": True, "text": ["All"], "value": ["$__all"]}
    return var


# --- dashboards ----------------------------------------------------------------------------

def dashboard(uid: str, title: str, rows: list[Row], *, description: str, tags: list[str],
              refresh: str = "30s", time_from: str = "now-6h", variables: list = (),
              scoped: bool = False, kiosk: bool = False, links: list[dict] = ()):
    """Lay the rows out top to bottom, panels left to right. `scoped` adds the $job/$instance
    selection to every query; `kiosk` hides the time picker and variables for a wall screen."""
    panels = _layout(rows)
    if scoped:
        panels = [_scoped(p) for p in panels]
    picker = attr.evolve(G.DEFAULT_TIME_PICKER, hidden=kiosk)
    return G.Dashboard(
        title=title, uid=uid, description=description, tags=tags, refresh=refresh,
        time=G.Time(time_from, "now"), timePicker=picker, timezone="browser",
        templating=G.Templating([datasource_variable(hidden=kiosk), *variables]),
        panels=panels, schemaVersion=SCHEMA_VERSION, editable=not kiosk,
        graphTooltip=G.GRAPH_TOOLTIP_MODE_SHARED_CROSSHAIR, links=list(links),
    ).auto_panel_ids()


def dashboard_links(tag: str) -> list[dict]:
    """A drop-down in the dashboard's top bar listing every dashboard carrying `tag`."""
    return [{"title": "Lookout", "type": "dashboards", "tags": [tag], "asDropdown": True,
             "includeVars": False, "keepTime": True, "targetBlank": False, "icon": "external link"}]


def render(dash) -> dict:
    """The Grafana JSON model as plain data."""
    return json.loads(json.dumps(dash.to_json_data(), cls=DashboardEncoder))


def _layout(rows: list[Row]) -> list:
    placed, y = [], 0
    for r in rows:
        placed.append(G.RowPanel(title=r.title, gridPos=G.GridPos(h=1, w=GRID_WIDTH, x=0, y=y)))
        y += 1
        x, line_height = 0, 0
        for panel in r.panels:
            w, h = panel.gridPos.w, panel.gridPos.h
            if x + w > GRID_WIDTH:
                x, y, line_height = 0, y + line_height, 0
            placed.append(attr.evolve(panel, gridPos=G.GridPos(h=h, w=w, x=x, y=y)))
            x, line_height = x + w, max(line_height, h)
        y += line_height
    return placed


def _scoped(panel):
    if not getattr(panel, "targets", None):
        return panel
    return attr.evolve(panel, targets=[attr.evolve(t, expr=scope(t.expr, JOB_INSTANCE)) for t in panel.targets])
