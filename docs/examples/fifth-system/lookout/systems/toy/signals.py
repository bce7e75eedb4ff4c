"""The toy queue: down when /stats does not answer; a backlog past 100 / 1000 jobs."""
from __future__ import annotations

from lookout.alert_rules.model import Signal

SIGNALS = [
    Signal(key="toy_up", system="toy", alert="ToyQueueDown", expr="toy_up", unit="short", direction="below",
           warning=None, critical=1, for_critical="1m", role="down", runbook="toyqueuedown",
           summary="The toy queue's /stats does not answer.",
           description="toy_up is {value} on {{ $labels.instance }}: /stats has not answered for a minute."),
    Signal(key="toy_queue_depth", system="toy", alert="ToyQueueBacklog", expr="toy_queue_depth", unit="short",
           direction="above", warning=100, critical=1000, for_warning="5m", for_critical="5m", role="symptom",
           runbook="toyqueuebacklog", summary="The toy queue is backing up.",
           description="{value} jobs wait on {{ $labels.instance }} (alert past {threshold})."),
]


def recording_rules(signals) -> list[dict]:
    return []


def conditions(signal, severity, boundary):
    return None
