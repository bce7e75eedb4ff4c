"""The nightly backup's demo scenario (lookout/demo/scenario.py says what a scenario promises)."""
from lookout.demo.scenario import Scenario

SCENARIOS = (
    Scenario("backup-status-lost", "backup", "BackupStatusUnreadable",
             "The backup's status file is gone: when the last backup completed is unknown (a warning: chat,"
             " no page).", target="backup", fault="status-lost", chat=("BackupStatusUnreadable",)),
)
