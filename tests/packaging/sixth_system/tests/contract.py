"""The nightly backup's rows of the alert contract and of its dashboard, written out by hand
from its runbook (runbook.md: one missed night is 26 h, two are 50 h; the status file unreadable
for 2 minutes), not from signals.py: read by tests/alerts/test_catalog_contract.py and
tests/dashboards/test_generation.py (tests/systems.py). The shared catalog
(shared/alert-catalog.md) has no backup rows: the user has not written them yet."""

HOUR = 3600

# key: (alert, system, operator, warning, critical, for warning, for critical)
CONTRACT = {
    "backup_up": ("BackupStatusUnreadable", "backup", "<", 1, None, "2m", ""),
    "backup_age": ("BackupOverdue", "backup", ">", 26 * HOUR, 50 * HOUR, "", ""),
}

# Not there: the status file cannot be read, so nothing else about the backup is known.
DOWN = {"BackupStatusUnreadable"}

# An overdue backup is what a failed or missing run looks like.
SYMPTOMS = {"BackupOverdue"}

# Its one collector failing is the same fact as BackupStatusUnreadable.
EXPLAINS = {"BackupStatusUnreadable": {"ExporterCollectorFailing"}}

DASHBOARD_UID = "lookout-backup"

__all__ = ["CONTRACT", "DOWN", "SYMPTOMS", "EXPLAINS", "DASHBOARD_UID"]  # read by name (tests/systems.py)
