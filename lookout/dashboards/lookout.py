"""Lookout itself: can Prometheus scrape every exporter, and is every collector inside them
reaching its backend and finding every field it reads?

Per-collector self-metrics are one family for every exporter, `lookout_collector_*` with an
`exporter` label (docs/exporters/common.md), so no list of namespaces lives here; the few
per-exporter series (`<ns>_up`, `<ns>_build_info`, ...) are selected by the registry's
namespaces."""
from __future__ import annotations

from . import panels as P
from .common import UP_DOWN, describe, graph, signal, tags, tile

UID = "lookout-exporters"
COLLECTOR = "{{exporter}} {{collector}}"


def own(metric: str) -> str:
    """Every exporter's `<ns>_<metric>` series in one selector, the namespaces from the
    systems registry."""
    from lookout.systems import SYSTEMS
    return f'{{__name__=~"({"|".join(s.namespace for s in SYSTEMS)})_{metric}"}}'


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
        P.state_timeline("Collector success", [("lookout_collector_success", COLLECTOR)],
                         states=UP_DOWN, w=12,
                         description="Per collector; coloured like the alert ExporterCollectorFailing."),
        graph("exporter_collector_success", "Collector success", legend=COLLECTOR, w=12, lo=0, hi=1),
        P.timeseries("Collection errors per minute",
                     [("sum by (job, instance, exporter, collector, reason)"
                       " (rate(lookout_collector_errors_total[5m])) * 60", f"{COLLECTOR} {{{{reason}}}}")],
                     unit="none", w=12, bars=True,
                     description="Every known reason starts at 0, so no errors reads 0, not no data."),
        graph("exporter_fields_missing", "Configured fields missing (5m)", legend=f"{COLLECTOR} {{{{field}}}}",
              w=12, bars=True,
              description="A field the exporter is configured to read was absent from an answer that "
                          "otherwise succeeded (renamed or dropped upstream); a JSON null is not counted."),
        P.timeseries("Collector duration", [("lookout_collector_duration_seconds", COLLECTOR)], unit="s", w=12),
        P.timeseries("Since last success", [("time() - lookout_collector_last_success_timestamp_seconds",
                                             COLLECTOR)], unit="s", w=8),
        P.timeseries("Scrape cache age", [(own("scrape_cache_age_seconds"), "{{job}} {{instance}}")], unit="s", w=8),
        P.timeseries("Collections per minute", [(f"rate({own('collections_total')}[5m]) * 60", "{{job}} {{instance}}")],
                     unit="none", w=8),
        P.table("Exporter builds", [("Exporters", own("build_info"), "none")],
                keep=("job", "instance", "version", "python_version"), w=24, h=6),
    )
    return P.dashboard(
        UID, "Lookout / Exporters", [scrapes, exporters],
        description=describe(__name__, "The Lookout exporters: scrapes, backends, collectors, errors, missing fields,"
                                     " cache age."),
        tags=tags("exporter"), variables=P.job_instance_variables("up"), scoped=True,
        links=P.dashboard_links("lookout"),
    )
