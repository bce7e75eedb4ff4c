"""Alerts about the monitoring stack itself, for the HA layout (issue 17).

- Watchdog: always fires; the heartbeat route sends it to an external dead man's switch,
  which alarms when it stops arriving (nothing inside a dead stack can page about itself).
- PrometheusPeerDown / AlertmanagerPeerDown: the scrape of a peer fails; each replica scrapes
  every Prometheus and every Alertmanager, so the survivor pages about the lost one.
- AlertmanagerClusterDegraded: an Alertmanager sees fewer gossip members than the layout has
  (a lost peer, or a partition that would send pages twice).
Severity and annotations follow the project's rule conventions; the runbook sections are in
docs/deploying.md.
"""
from __future__ import annotations

from lookout.alert_rules.settings import DEFAULT_RUNBOOK_BASE, doc_url

PEER_FOR = "1m"


def group(alertmanagers: int, runbook_base: str = DEFAULT_RUNBOOK_BASE) -> dict:
    """The rule group; `alertmanagers` is the cluster size the layout runs; each runbook_url is
    docs/deploying.md next to `runbook_base` (the absolute URL of docs/runbooks.md)."""
    RUNBOOK = doc_url(runbook_base, "deploying.md#")
    labels = {"system": "exporter"}
    return {"name": "ha", "rules": [
        {"alert": "Watchdog", "expr": "vector(1)",
         "labels": {"severity": "warning", **labels},
         "annotations": {
             "summary": "The alerting pipeline is alive; this alert always fires.",
             "description": "Always firing (value {{ $value | humanize }}) so that the heartbeat service notices"
                            " when it stops arriving: then no Prometheus evaluates rules or no Alertmanager"
                            " delivers.",
             "runbook_url": RUNBOOK + "watchdog"}},
        {"alert": "PrometheusPeerDown", "expr": 'up{job="prometheus"} < 1', "for": PEER_FOR,
         "labels": {"severity": "critical", **labels},
         "annotations": {
             "summary": "A Prometheus replica cannot be scraped by its peer.",
             "description": "Prometheus {{ $labels.instance }} has not answered a scrape for " + PEER_FOR +
                            " (up = {{ $value | humanize }}); the pair runs on one replica.",
             "runbook_url": RUNBOOK + "prometheuspeerdown"}},
        {"alert": "AlertmanagerPeerDown", "expr": 'up{job="alertmanager"} < 1', "for": PEER_FOR,
         "labels": {"severity": "critical", **labels},
         "annotations": {
             "summary": "An Alertmanager of the cluster cannot be scraped.",
             "description": "Alertmanager {{ $labels.instance }} has not answered a scrape for " + PEER_FOR +
                            " (up = {{ $value | humanize }}); pages depend on the members left.",
             "runbook_url": RUNBOOK + "alertmanagerpeerdown"}},
        {"alert": "AlertmanagerClusterDegraded", "expr": f"alertmanager_cluster_members < {alertmanagers}",
         "for": PEER_FOR,
         "labels": {"severity": "warning", **labels},
         "annotations": {
             "summary": "An Alertmanager sees fewer cluster members than the layout runs.",
             "description": "Alertmanager {{ $labels.instance }} sees {{ $value | humanize }} gossip members of "
                            f"{alertmanagers}; a lost or partitioned peer may mean a page sent twice.",
             "runbook_url": RUNBOOK + "alertmanagerclusterdegraded"}},
    ]}
