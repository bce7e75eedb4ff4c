"""The exporters themselves: a blind spot is an incident.

The per-collector self-metrics are one family shared by every exporter (docs/exporters/common.md):
`lookout_collector_*{exporter, collector}`, so no rule lists the exporters' namespaces.
"""
from __future__ import annotations

from ..model import Signal, effects

SIGNALS = [
    Signal(
        # Only Lookout's own jobs (thresholds.yml `_config.exporter_jobs`), not every
        # target the operator's Prometheus scrapes.
        key="exporter_up", system="exporter", alert="ExporterDown",
        expr='up{job=~"${exporter_jobs}"}', unit="short", direction="below", warning=None, critical=1,
        for_critical="2m", role="down",
        # A failed scrape also marks every series of the target stale, so its other alerts
        # end by themselves; these two would otherwise say the same thing again.
        explains=effects("ExporterCollectorFailing", "ExporterFieldsMissing"),
        summary="Prometheus cannot scrape an exporter.",
        description="Prometheus has failed to scrape {{ $labels.instance }} (job {{ $labels.job }}) for"
                    " 2 minutes (up = {value}); everything it watches is unobserved.",
    ),
    Signal(
        key="exporter_collector_success", system="exporter", alert="ExporterCollectorFailing",
        expr="lookout_collector_success", unit="short", direction="below", warning=1, critical=None,
        for_warning="5m", role="symptom", members=("exporter", "collector"),
        summary="A collector inside an exporter keeps failing.",
        description="Collector {{ $labels.collector }} of the {{ $labels.exporter }} exporter on"
                    " {{ $labels.instance }} has failed every collection for 5 minutes (success = {value});"
                    " the exporter's other metrics are still served.",
    ),
    Signal(
        # A field the collector is configured to read, absent from answers that otherwise
        # succeed (renamed or dropped upstream): its metric vanishes while the collector
        # reports success, so no other alert would show it. `null` is not counted (the
        # upstream's "no value yet"). Some absence in every 5m window, for 10m.
        key="exporter_fields_missing", system="exporter", alert="ExporterFieldsMissing",
        expr="increase(lookout_collector_fields_missing_total[5m])", unit="short", direction="above",
        warning=0, critical=None, for_warning="10m", role="symptom", members=("exporter", "collector", "field"),
        summary="A field the exporter reads keeps missing from its source's answers.",
        description="Field {{ $labels.field }} read by collector {{ $labels.collector }} of the"
                    " {{ $labels.exporter }} exporter on {{ $labels.instance }} has been missing from answers"
                    " that otherwise succeed for 10 minutes ({value} times in the last 5m); its metric is not"
                    " served. Renamed or dropped upstream?",
    ),
]


def recording_rules(signal) -> list[dict]:
    return []


def conditions(signal, severity: str, boundary: str) -> str | None:
    return None
