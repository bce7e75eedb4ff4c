"""The nightly backup: can its status file be read, and how long ago did a backup last complete?

Thresholds: the job runs nightly, so a last success older than 26 hours (a day and the run's
usual two hours) is one missed night (warning), older than 50 hours two (critical: no restore
point from the last two days). Prometheus' own advice for batch jobs is to alert on the time of
the last success rather than on a failure count (docs, practices/instrumentation "Batch jobs").
"""
from __future__ import annotations

from lookout.alert_rules.model import Signal, effects

HOUR = 3600

SIGNALS = [
    Signal(
        key="backup_up", system="backup", alert="BackupStatusUnreadable",
        expr="backup_up", unit="short", direction="below", warning=1, critical=None,
        for_warning="2m", role="down",
        # Its one collector failing is this alert, said a second time by the self-alert; 2m, under
        # ExporterCollectorFailing's 5m, so this one fires first and holds that one back.
        explains=effects("ExporterCollectorFailing", where=('exporter="backup"',)),
        summary="The backup's status file cannot be read.",
        description="backup_up is {value} on {{ $labels.instance }}: the status file has been missing,"
                    " unreadable or not restic's summary for 2 minutes, so the last backup is unknown.",
    ),
    Signal(
        key="backup_age", system="backup", alert="BackupOverdue",
        expr="time() - backup_last_success_timestamp_seconds", unit="s", direction="above",
        warning=26 * HOUR, critical=50 * HOUR, role="symptom",
        summary="No backup has completed for more than a day.",
        description="The last backup on {{ $labels.instance }} completed {value} ago (alert past {threshold}):"
                    " the nightly job failed or did not run.",
    ),
]


def recording_rules(signal) -> list[dict]:
    return []


def conditions(signal, severity: str, boundary: str) -> str | None:
    return None
