"""TBURN mainnet (runbook 004).

Its key metrics table: heap > 70% / > 85%, event loop lag > 150 ms / > 300 ms, error rate
> 5% / > 15%, P99 > 500 ms / > 1000 ms, DB pool wait > 5 / > 20; the memory governor's
states; "available connections > 5"; "24-64 shards"; and the SLA: 99.9% uptime, memory
growth < 5%/hour.
"""
from __future__ import annotations

from dataclasses import dataclass

from lookout.durations import seconds

from lookout.alert_rules.model import Signal, effects
from lookout.alert_rules.units import promql_number

GOVERNOR_LEVEL = "tburn:memory_governor:level"
HEAP_GROWTH = "tburn:heap_used:growth1h"
HEAP_AVG_10M = "avg_over_time(tburn_heap_used_bytes[10m])"
HEAP_AVG_10M_1H_AGO = "avg_over_time(tburn_heap_used_bytes[10m] offset 1h)"

# The SLA the availability alert defends; its error budget is 1 - OBJECTIVE.
OBJECTIVE = 0.999


@dataclass(frozen=True)
class BurnWindow:
    """One multiwindow pair: fire when both windows burn the budget `factor` times too fast.

    `factor` names where the number lives in the signal: "critical"/"warning" (its fast
    pair, what a dashboard colours the 1h burn rate by) or a key of its params.
    """
    severity: str
    long: str
    short: str
    factor: str


# The Google SRE workbook's table for a 30-day budget: 14.4x over 1h spends 2% of it,
# 6x over 6h 5%, 3x over 1d 10%, 1x over 3d 10%.
BURN_WINDOWS = (
    BurnWindow("critical", long="1h", short="5m", factor="critical"),
    BurnWindow("critical", long="6h", short="30m", factor="critical_slow"),
    BurnWindow("warning", long="1d", short="2h", factor="warning"),
    BurnWindow("warning", long="3d", short="6h", factor="warning_slow"),
)


def error_ratio(window: str) -> str:
    return f"tburn:request_errors:ratio_rate{window}"


def _external(window: str, counter: str, own: str) -> str:
    """rate(counter) less Lookout's own requests TBURN counted in it (tburn_lookout_requests_total
    with `own` labels); the plain rate where the exporter reports no such requests.

    TBURN's request counters include every request reaching its tracking middleware,
    Lookout's to /api/pipeline and /api/sharding included (server/routes.ts). TBURN
    snapshots them every 10 s, so the two rates can differ by a few requests at the window's
    edges: clamped at 0, and the ratio needs a minimum of other requests in its window
    (tburn_error_ratio's min_requests).
    """
    return (f"clamp_min(rate({counter}[{window}]) - on(instance, job) group_left()"
            f" sum by (instance, job) (rate(tburn_lookout_requests_total{{{own}}}[{window}])), 0)"
            f"\nor rate({counter}[{window}])")


def burn_windows() -> list[str]:
    seen: list[str] = []
    for w in BURN_WINDOWS:
        seen += [x for x in (w.short, w.long) if x not in seen]
    return seen


BUDGET = round(1 - OBJECTIVE, 12)

SIGNALS = [
    Signal(
        key="tburn_up", system="tburn", alert="TburnDown",
        expr="tburn_up", unit="short", direction="below", warning=None, critical=1,
        for_critical="1m", role="down",
        # tburn_up is the health collector's success: its ExporterCollectorFailing says the same.
        explains=(*effects("TburnEventLoopLagHigh", "TburnErrorRateHigh", "TburnLatencyHigh", "TburnDbPoolWaiting",
                           "TburnDbPoolExhausted", "TburnCircuitBreakerOpen", "TburnRequestShedding",
                           "TburnPipelineStopped", "TburnAvailabilityBurn"),
                  *effects("ExporterCollectorFailing", where=('collector="health"',))),
        summary="TBURN's /health does not answer 2xx.",
        description="tburn_up is {value} on {{ $labels.instance }}: /health, which is always served, has not"
                    " answered 2xx for a minute.",
    ),
    Signal(
        key="tburn_heap", system="tburn", alert="TburnHeapHigh",
        expr="tburn_heap_ratio", unit="percentunit", direction="above", warning=0.7, critical=0.85,
        for_warning="2m", for_critical="2m",
        # The memory governor acts on heap pressure: its deferred/hibernating/critical
        # states follow from the heap; at a critical heap the request shedder degrades too
        # (so the demo's TBURN model has it, lookout/systems/tburn/simulator/model.py): one root cause.
        # Held 5m: the shedder stays degraded 30s after its last trigger, and the governor
        # steps back down over a few checks, after the heap is already below the boundary.
        explains=effects("TburnMemoryGovernorDegraded", "TburnRequestShedding", hold="5m"),
        summary="TBURN's heap is filling up.",
        description="TBURN on {{ $labels.instance }} uses {value} of its heap limit (alert past {threshold});"
                    " the memory guardian cleans up at 70%, aggressively at 85%, in emergency at 92%.",
    ),
    Signal(
        # 0: normal or warning, 1: deferred or hibernating, 2: critical. The warning band
        # stops at critical: the catalog's warning is "Deferred or Hibernating" only.
        key="tburn_memory_governor", system="tburn", alert="TburnMemoryGovernorDegraded",
        expr=GOVERNOR_LEVEL, unit="short", direction="above", warning=1, critical=2, inclusive=True,
        for_warning="2m", for_critical="2m", warning_bounded=True,
        summary="TBURN's memory governor is holding back work.",
        description="TBURN's memory governor on {{ $labels.instance }} is at level {value}"
                    " (1: Deferred or Hibernating shards, 2: Critical, rejecting requests).",
    ),
    Signal(
        key="tburn_heap_growth", system="tburn", alert="TburnMemoryGrowth",
        expr=HEAP_GROWTH, unit="percentunit", direction="above", warning=0.05, critical=None,
        for_warning="15m",
        summary="TBURN's heap grew faster than the SLA allows.",
        description="TBURN's heap on {{ $labels.instance }} grew {value} in the last hour"
                    " (SLA: under {threshold} per hour).",
    ),
    Signal(
        key="tburn_event_loop_lag", system="tburn", alert="TburnEventLoopLagHigh",
        expr="tburn_event_loop_lag_seconds", unit="s", direction="above", warning=0.15, critical=0.3,
        for_warning="2m", for_critical="2m", role="symptom",
        summary="TBURN's event loop is lagging.",
        description="TBURN's event loop on {{ $labels.instance }} lags {value} (alert past {threshold}).",
    ),
    Signal(
        # The windowed rate of TBURN's 5xx and request counters, less Lookout's own requests:
        # TBURN's `errorRate` is a lifetime ratio since start (tburn_error_ratio, dashboards only).
        key="tburn_error_ratio", system="tburn", alert="TburnErrorRateHigh",
        expr=error_ratio("5m"), unit="percentunit", direction="above", warning=0.05, critical=0.15,
        for_warning="5m", for_critical="5m", role="symptom",
        # With fewer other requests than this in a window there is no ratio for it (an idle
        # node's few requests and TBURN's 10 s snapshot lag would make one): 30 in 5 minutes
        # is 0.1/s, a ratio's step of 3.3%.
        params={"min_requests": 30},
        summary="TBURN is failing many requests.",
        description="TBURN on {{ $labels.instance }} answered {value} of the last 5 minutes' requests with a 5xx,"
                    " Lookout's own requests left out (alert past {threshold}).",
    ),
    Signal(
        key="tburn_latency_p99", system="tburn", alert="TburnLatencyHigh",
        expr="tburn_latency_p99_seconds", unit="s", direction="above", warning=0.5, critical=1,
        for_warning="5m", for_critical="5m", role="symptom",
        summary="TBURN's P99 latency is high.",
        description="TBURN's P99 latency on {{ $labels.instance }} is {value} (alert past {threshold}).",
    ),
    Signal(
        key="tburn_db_pool_waiting", system="tburn", alert="TburnDbPoolWaiting",
        expr="tburn_db_pool_waiting_requests", unit="short", direction="above", warning=5, critical=20,
        for_warning="2m", for_critical="2m", role="symptom",
        summary="Requests are queueing for a TBURN database connection.",
        description="{value} requests wait for a database connection on {{ $labels.instance }}"
                    " (alert past {threshold}).",
    ),
    Signal(
        key="tburn_db_pool_available", system="tburn", alert="TburnDbPoolExhausted",
        expr="tburn_db_pool_available_connections", unit="short", direction="below", warning=5,
        critical=None, for_warning="5m", role="symptom",
        summary="TBURN's database pool is nearly exhausted.",
        description="Only {value} database connections are available on {{ $labels.instance }}"
                    " (healthy: more than {threshold}).",
    ),
    Signal(
        key="tburn_circuit_breaker_open", system="tburn", alert="TburnCircuitBreakerOpen", members=("shard",),
        expr='max without (tburn_circuit_breaker_state) '
             '(tburn_circuit_breaker_state{tburn_circuit_breaker_state="open"})',
        unit="short", direction="above", warning=1, critical=None, inclusive=True,
        for_warning="5m", role="symptom",
        summary="A TBURN circuit breaker is open.",
        description="The circuit breaker of shard {{ $labels.shard }} on {{ $labels.instance }} has been open for"
                    " 5 minutes (open = {value}).",
    ),
    Signal(
        key="tburn_degraded_mode", system="tburn", alert="TburnRequestShedding",
        expr="tburn_degraded_mode", unit="short", direction="above", warning=1, critical=None,
        inclusive=True, for_warning="2m", role="symptom",
        summary="TBURN's request shedder is in degraded mode.",
        description="TBURN on {{ $labels.instance }} has been shedding requests for 2 minutes"
                    " (degraded = {value}); one episode lasts 30s by default.",
        remedy="tburn-exit-degraded",
    ),
    Signal(
        # TBURN's own rule (pipeline-routes.ts GET /health): a stopped pipeline is healthy (it is
        # off unless ENABLE_BLOCK_PIPELINE=true); a running one with no block for 5 s is not.
        # The catalog's name is kept; its meaning follows the source (docs/alerting.md).
        key="tburn_pipeline_running", system="tburn", alert="TburnPipelineStopped",
        expr="tburn_pipeline_healthy", unit="short", direction="below", warning=1, critical=None,
        for_warning="5m", role="symptom",
        summary="TBURN's block pipeline runs but produces no blocks.",
        description="tburn_pipeline_healthy is {value} on {{ $labels.instance }}: the pipeline has been running"
                    " without a block for 5 s or more (TBURN's own health rule) for 5 minutes.",
        remedy="tburn-pipeline-restart",
    ),
    # The shard count has a range, so two signals, one per side; the generator merges
    # their rules into one alert (same name, severity and text).
    Signal(
        key="tburn_shards_min", system="tburn", alert="TburnShardCountOutOfRange",
        expr="tburn_shards", unit="short", direction="below", warning=24, critical=None,
        for_warning="10m",
        summary="TBURN runs outside its configured shard range.",
        description="TBURN on {{ $labels.instance }} runs {value} shards, outside its configured range.",
    ),
    Signal(
        key="tburn_shards_max", system="tburn", alert="TburnShardCountOutOfRange",
        expr="tburn_shards", unit="short", direction="above", warning=64, critical=None,
        for_warning="10m",
        summary="TBURN runs outside its configured shard range.",
        description="TBURN on {{ $labels.instance }} runs {value} shards, outside its configured range.",
    ),
    Signal(
        # warning/critical are the fast pairs' factors (3x, 14.4x), which also colour the
        # 1h burn rate on a dashboard; the slow pairs' factors are params.
        key="tburn_availability_burn", system="tburn", alert="TburnAvailabilityBurn",
        expr=f"{error_ratio('1h')} / {promql_number(BUDGET)}", unit="short", direction="above",
        warning=3, critical=14.4, role="symptom",
        params={"critical_slow": 6, "warning_slow": 1},
        summary="TBURN is burning its 99.9% availability error budget too fast.",
        description="TBURN on {{ $labels.instance }} is burning its 0.1% error budget {value} times as fast"
                    " as the 99.9% SLA can sustain, over both windows of a multiwindow pair.",
    ),
]


def _factor(signal, name: str) -> float:
    return getattr(signal, name) if name in ("warning", "critical") else signal.params[name]


def recording_rules(signal) -> list[dict]:
    rules = [
        {"record": GOVERNOR_LEVEL,
         "expr": 'sum without (tburn_memory_governor_state) '
                 '(tburn_memory_governor_state{tburn_memory_governor_state=~"(?i)deferred|hibernating"})\n'
                 '+ 2 * sum without (tburn_memory_governor_state) '
                 '(tburn_memory_governor_state{tburn_memory_governor_state=~"(?i)critical"})'},
        # 10m averages on both ends: the heap is a GC sawtooth, a single sample is noise.
        {"record": HEAP_GROWTH,
         "expr": f"{HEAP_AVG_10M} / {HEAP_AVG_10M_1H_AGO} - 1"},
    ]
    least = signal("tburn_error_ratio").params["min_requests"]
    for w in burn_windows():
        floor = promql_number(least / seconds(w))
        requests, errors = f"tburn:requests_external:rate{w}", f"tburn:request_errors_external:rate{w}"
        rules.append({"record": requests, "expr": _external(w, "tburn_requests_total", 'counted="true"')})
        rules.append({"record": errors,
                      "expr": _external(w, "tburn_request_errors_total", 'counted="true",code="5xx"')})
        rules.append({"record": error_ratio(w), "expr": f"{errors} / ({requests} > {floor})"})
    return rules


def conditions(signal, severity: str, boundary: str) -> str | None:
    if signal.key == "tburn_heap_growth":
        # Multiplicative, so exactly +5% does not fire: 1.05e9 / 1e9 - 1 is 0.05000000000000004
        # in floating point, while 1.05e9 > 1e9 * 1.05 is false. The value shown is the growth.
        return (f"{HEAP_GROWTH}\nand on(instance, job) {HEAP_AVG_10M} > (1 + {boundary}) * {HEAP_AVG_10M_1H_AGO}")
    if signal.key != "tburn_availability_burn":
        return None
    budget = promql_number(BUDGET)
    pairs = []
    for w in BURN_WINDOWS:
        if w.severity == severity:
            factor = promql_number(_factor(signal, w.factor))
            pairs.append(f"({error_ratio(w.long)} / {budget} > {factor}"
                         f" and {error_ratio(w.short)} / {budget} > {factor})")
    return "\n  or\n".join(pairs)
