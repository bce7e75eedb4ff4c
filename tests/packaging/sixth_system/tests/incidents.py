"""The backup's demo scenario replayed at production timing (tests/alerts/incidents.py builds
the checks): what scenarios.py promises, held against the generated rules by promtool."""
from __future__ import annotations

from tests.alerts.incidents import STEP, fires, quiet, values

BACKUP = 'instance="backup-exporter:9865",job="backup"'


def status_lost() -> dict:
    """The status file gone from minute 10 to 20: BackupStatusUnreadable after its 2m, a warning
    (chat), never critical; quiet before and once the file is back."""
    n = 3600 // STEP
    up = [0 if 600 <= i * STEP < 1200 else 1 for i in range(n)]
    return {"name": "backup-status-lost 10 min at production timing: BackupStatusUnreadable in chat, never a page",
            "interval": f"{STEP}s",
            "input_series": [{"series": f"backup_up{{{BACKUP}}}", "values": values(up)}],
            "alert_rule_test": [*quiet("BackupStatusUnreadable", 0, 600 + 60),
                                fires("BackupStatusUnreadable", 600 + 120, 0, BACKUP),
                                fires("BackupStatusUnreadable", 1200 - STEP, 0, BACKUP),
                                *quiet("BackupStatusUnreadable", 1200, n * STEP)]}


REPLAYS = {"backup-status-lost": lambda: [status_lost()]}
