"""The exporters themselves: a blind spot is an incident."""
from __future__ import annotations

from ..model import Signal
from ..settings import NAMESPACES

_SUCCESS = "|".join(NAMESPACES)

SIGNALS = [
    Signal(
        # The monitoring stack's own jobs have their own alerts (the HA layout's
        # PrometheusPeerDown / AlertmanagerPeerDown, lookout/deploy/meta_rules.py): one page each.
        key="exporter_up", system="exporter", alert="ExporterDown",
        expr='up{job!~"prometheus|alertmanager"}', unit="short", direction="below", warning=None, critical=1,
        for_critical="2m", role="down",
        summary="Prometheus cannot scrape an exporter.",
        description="Prometheus has failed to scrape {{ $labels.instance }} (job {{ $labels.job }}) for"
                    " 2 minutes (up = {value}); everything it watches is unobserved.",
    ),
    Signal(
        # The `exporter` label says whose collector it is (the metric name's namespace).
        key="exporter_collector_success", system="exporter", alert="ExporterCollectorFailing",
        expr=f'label_replace({{__name__=~"({_SUCCESS})_collector_success"}},'
             ' "exporter", "$1", "__name__", "(.+)_collector_success")',
        unit="short", direction="below", warning=1, critical=None, for_warning="5m", role="symptom",
        summary="A collector inside an exporter keeps failing.",
        description="Collector {{ $labels.collector }} of the {{ $labels.exporter }} exporter on"
                    " {{ $labels.instance }} has failed every collection for 5 minutes (success = {value});"
                    " the exporter's other metrics are still served.",
    ),
]


def recording_rules(signal) -> list[dict]:
    return []


def conditions(signal, severity: str, boundary: str) -> str | None:
    return None
