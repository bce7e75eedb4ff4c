"""TBURN mainnet: heap and memory governor, request health, its dependencies, and the
99.9% availability SLO."""
from __future__ import annotations

from lookout.systems.tburn.signals import BUDGET, OBJECTIVE, burn_windows, error_ratio
from lookout.alert_rules.units import promql_number

from lookout.dashboards import panels as P
from lookout.dashboards.common import drill_down, state_colours, UP_DOWN, describe, graph, signal, tags, tile, wall_tile
from lookout.dashboards.promql import stateset_index
from lookout.dashboards.vocabulary import constant

UID = "lookout-tburn"
LINK = drill_down(UID, "TBURN")
GOVERNOR_STATES = constant("tburn/endpoints", "GOVERNOR_STATES")
BREAKER_STATES = constant("tburn/endpoints", "BREAKER_STATES")
# A colour for every state the exporter reports; a new state fails generation until it has one.
GOVERNOR_COLOURS = {"normal": "green", "warning": "yellow", "deferred": "orange", "hibernating": "orange",
                    "critical": "red"}
BREAKER_COLOURS = {"closed": "green", "half_open": "yellow", "open": "red"}
GOVERNOR = stateset_index("tburn_memory_governor_state", list(GOVERNOR_STATES))
BREAKERS = stateset_index("tburn_circuit_breaker_state", list(BREAKER_STATES), by=("instance", "shard"))
SLO_WINDOW = "30d"
BUDGET_REMAINING = (f"1 - (increase(tburn_request_errors_total[{SLO_WINDOW}])"
                    f" / increase(tburn_requests_total[{SLO_WINDOW}])) / {promql_number(BUDGET)}")


def wall_tiles() -> list:
    """TBURN's row of the wall screen: memory, the event loop, requests, /health."""
    return [
        wall_tile("tburn_heap", "Heap", LINK),
        wall_tile("tburn_event_loop_lag", "Event-loop lag", LINK),
        wall_tile("tburn_error_ratio", "Error rate", LINK),
        wall_tile("tburn_latency_p99", "P99", LINK),
        wall_tile("tburn_memory_governor", "Governor", LINK,
                  states=[P.State(0, "normal", "green"), P.State(1, "DEFERRING", "yellow"),
                          P.State(2, "CRITICAL", "red")]),
        wall_tile("tburn_up", "TBURN", LINK, states=UP_DOWN),
    ]


def build():
    governor_states = state_colours(GOVERNOR_STATES, GOVERNOR_COLOURS)
    breaker_states = state_colours(BREAKER_STATES, BREAKER_COLOURS)
    memory = P.row(
        "Memory",
        tile("tburn_heap", "Heap / limit", w=4),
        P.stat("Governor state", GOVERNOR, states=governor_states, w=4),
        tile("tburn_memory_governor", "Governor level", w=4, decimals=0,
             description="0: Normal or Warning, 1: Deferred or Hibernating, 2: Critical."),
        tile("tburn_heap_growth", "Heap growth (1h)", w=4),
        P.stat("Hibernated shards", "tburn_hibernated_shards", w=4, decimals=0),
        P.stat("Since last GC", "time() - tburn_last_gc_timestamp_seconds", unit="s", w=4),
        graph("tburn_heap", "Heap ratio against the guardian/governor levels", w=12, lo=0, hi=1),
        P.state_timeline("Memory governor state", [(GOVERNOR, "{{instance}}")], states=governor_states, w=12),
        P.timeseries("Heap used", [("tburn_heap_used_bytes", "{{instance}}")], unit="bytes", w=12),
        graph("tburn_heap_growth", "Heap growth over the last hour", w=12),
    )
    requests = P.row(
        "Requests",
        tile("tburn_up", "/health", states=UP_DOWN, w=4),
        tile("tburn_event_loop_lag", "Event-loop lag", w=4),
        tile("tburn_error_ratio", "Error rate", w=4),
        tile("tburn_latency_p99", "P99 latency", w=4),
        tile("tburn_degraded_mode", "Request shedder", w=4,
             states=[P.State(0, "normal", "green"), P.State(1, "SHEDDING", "red")]),
        P.stat("Requests/s", "rate(tburn_requests_total[5m])", unit="reqps", w=4),
        graph("tburn_event_loop_lag", "Event-loop lag", w=8),
        graph("tburn_error_ratio", "Error rate", w=8),
        graph("tburn_latency_p99", "P99 latency", w=8),
        P.timeseries("Requests and shed requests per second",
                     [("rate(tburn_requests_total[5m])", "served {{instance}}"),
                      ("rate(tburn_request_errors_total[5m])", "failed {{instance}}"),
                      ("rate(tburn_requests_shed_total[5m])", "shed {{instance}}")], unit="reqps", w=12),
        P.timeseries("/health probe latency", [("tburn_health_probe_seconds", "{{instance}}")], unit="s", w=12),
    )
    dependencies = P.row(
        "DB pool, circuit breakers, pipeline, shards",
        tile("tburn_db_pool_available", "DB pool available", w=4, decimals=0),
        tile("tburn_db_pool_waiting", "DB pool waiting", w=4, decimals=0),
        tile("tburn_circuit_breaker_open", "Breakers", legend="shard {{shard}}", w=4,
             states=[P.State(0, "closed", "green"), P.State(1, "OPEN", "red")]),
        tile("tburn_pipeline_running", "Pipeline", w=4,
             states=[P.State(0, "STOPPED", "red"), P.State(1, "running", "green")]),
        P.stat("Shards", "tburn_shards", signal=(signal("tburn_shards_min"), signal("tburn_shards_max")),
               w=4, decimals=0),
        P.stat("DB pool size", "tburn_db_pool_total_connections", w=4, decimals=0),
        P.timeseries("DB pool", [("tburn_db_pool_available_connections", "available {{instance}}"),
                                 ("tburn_db_pool_waiting_requests", "waiting {{instance}}"),
                                 ("tburn_db_pool_total_connections", "total {{instance}}")],
                     unit="none", references=("^total",), w=8),
        P.state_timeline("Circuit breakers", [(BREAKERS, "shard {{shard}}")], states=breaker_states, w=8),
        P.timeseries("Shards", [("tburn_shards", "shards {{instance}}"),
                                ("tburn_hibernated_shards", "hibernated {{instance}}")], unit="none",
                     signal=(signal("tburn_shards_min"), signal("tburn_shards_max")), w=8),
    )
    slo = P.row(
        f"SLO: {OBJECTIVE:.1%} availability",
        tile("tburn_availability_burn", "Burn rate (1h)", w=6, h=6),
        P.stat(f"Error budget left ({SLO_WINDOW})", BUDGET_REMAINING, unit="percentunit", w=6, h=6,
               description=f"Share of the {SLO_WINDOW} error budget ({1 - OBJECTIVE:.1%} of requests) not yet spent."),
        graph("tburn_availability_burn", "Burn rate by window (budget spent x times too fast)", w=12, h=6,
              legend="1h {{instance}}",
              extra=[(f"{error_ratio(w)} / {promql_number(BUDGET)}", f"{w} {{{{instance}}}}")
                     for w in burn_windows() if w != "1h"],
              description="The fast 1h window is the one the tile and the bands follow; the alert pairs windows."),
        P.timeseries(f"Error budget left ({SLO_WINDOW})", [(BUDGET_REMAINING, "{{instance}}")],
                     unit="percentunit", w=12),
        P.timeseries("Configured fields missing (1h)",
                     [('increase(lookout_collector_fields_missing_total{exporter="tburn"}[1h])',
                       "{{collector}} {{field}}")], unit="none", w=12),
    )
    return P.dashboard(
        UID, "Lookout / TBURN", [memory, requests, dependencies, slo],
        description=describe(__name__, "TBURN mainnet: heap and governor, requests, dependencies, SLO burn."),
        tags=tags("tburn"), variables=P.job_instance_variables("tburn_up"), scoped=True,
        links=P.dashboard_links("lookout"),
    )
