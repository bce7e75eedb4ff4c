"""Lookout itself: can Prometheus scrape every exporter, and is every collector inside them
reaching its backend?"""
from __future__ import annotations

from lookout.alert_rules.catalog import signal
from lookout.alert_rules.settings import NAMESPACES

from . import panels as P
from .common import UID, UP_DOWN, describe, graph, tags, tile

MODULE = "lookout"
_NS = "|".join(NAMESPACES)


def own(metric: str) -> str:
    """Every exporter's `<ns>_<metric>` series in one selector."""
    return f'{{__name__=~"({_NS})_{metric}"}}'


# The error counter appears at a collector's first failure; until then each collector
# gets a zero series, so "no errors" and "no data" look different.
_ERRORS = f"sum by (job, instance, collector, reason) (rate({own('collector_errors_total')}[5m])) * 60"
_NONE_YET = (f'label_replace(0 * max by (job, instance, collector) ({own("collector_success")}),'
             f' "reason", "none", "", "")')
ERRORS_PER_MINUTE = f"{_ERRORS}\nor ({_NONE_YET} unless on(job, instance, collector) {_ERRORS})"


def build():
    scrapes = P.row(
        "Scrapes (Prometheus's view)",
        tile("exporter_up", "Scrape targets", expr=f"min by (job, instance) ({signal('exporter_up').expr})",
             legend="{{job}} {{instance}}",
             states=UP_DOWN, w=24, h=4),
        graph("exporter_up", "Target up", legend="{{job}} {{instance}}", w=8, lo=0, hi=1),
        P.timeseries("Scrape duration", [("scrape_duration_seconds", "{{job}} {{instance}}")], unit="s", w=8),
        P.timeseries("Samples per scrape", [("scrape_samples_scraped", "{{job}} {{instance}}")], unit="none", w=8),
    )
    exporters = P.row(
        "Exporters (their own self-metrics)",
        P.state_timeline("Backend up (<ns>_up)", [(own("up"), "{{job}} {{instance}}")], states=UP_DOWN, w=12),
        P.state_timeline("Collector success", [(own("collector_success"), "{{job}} {{collector}}")],
                         states=UP_DOWN, w=12,
                         description="Per collector; coloured like the alert ExporterCollectorFailing."),
        graph("exporter_collector_success", "Collector success", legend="{{exporter}} {{collector}}", w=12, lo=0, hi=1),
        P.timeseries("Collection errors per minute", [(ERRORS_PER_MINUTE, "{{job}} {{collector}} {{reason}}")],
                     unit="none", w=12, bars=True,
                     description="A collector without errors shows 0 (reason none) rather than nothing."),
        P.timeseries("Collector duration", [(own("collector_duration_seconds"), "{{job}} {{collector}}")],
                     unit="s", w=8),
        P.timeseries("Since last success", [(f"time() - {own('collector_last_success_timestamp_seconds')}",
                                             "{{job}} {{collector}}")], unit="s", w=8),
        P.timeseries("Scrape cache age", [(own("scrape_cache_age_seconds"), "{{job}} {{instance}}")], unit="s", w=8),
        P.timeseries("Collections per minute", [(f"rate({own('collections_total')}[5m]) * 60", "{{job}} {{instance}}")],
                     unit="none", w=12),
        P.table("Exporter builds", [("Exporters", own("build_info"), "none")],
                keep=("job", "instance", "version", "python_version"), w=12, h=8),
    )
    return P.dashboard(
        UID[MODULE], "Lookout / Exporters", [scrapes, exporters],
        description=describe(MODULE, "The Lookout exporters: scrapes, backends, collectors, errors, cache age."),
        tags=tags("exporter"), variables=P.job_instance_variables("up"), scoped=True,
        links=P.dashboard_links("lookout"),
    )
