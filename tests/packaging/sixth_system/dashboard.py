"""The nightly backup: when did a backup last complete, and what did it do?"""
from __future__ import annotations

from lookout.dashboards import panels as P
from lookout.dashboards.common import UP_DOWN, describe, drill_down, graph, tags, tile, wall_stat, wall_tile

UID = "lookout-backup"
LINK = drill_down(UID, "Nightly backup")


def wall_tiles() -> list:
    """The backup's row of the wall screen: how old is the last backup, what did it do, and
    can we tell?"""
    return [
        wall_tile("backup_age", "Last backup", LINK),
        wall_stat("Took", "max(backup_last_duration_seconds)", LINK, unit="s"),
        wall_stat("Added", "max(backup_last_data_added_bytes)", LINK, unit="bytes"),
        wall_stat("Read", "max(backup_last_bytes_processed)", LINK, unit="bytes"),
        wall_stat("Files", "max(backup_last_files_processed)", LINK, decimals=0),
        wall_tile("backup_up", "Status file", LINK, states=UP_DOWN),
    ]


def build():
    last = P.row(
        "Last backup",
        tile("backup_age", "Last success", w=6),
        tile("backup_up", "Status file readable", states=UP_DOWN, w=6),
        P.stat("Duration", "backup_last_duration_seconds", unit="s", w=6),
        P.stat("Data added", "backup_last_data_added_bytes", unit="bytes", w=6),
        graph("backup_age", "Age of the last backup against the alert levels", w=24),
    )
    work = P.row(
        "What it read",
        P.timeseries("Files read", [("backup_last_files_processed", "{{instance}}")], unit="none", w=12),
        P.timeseries("Bytes read and added", [("backup_last_bytes_processed", "read {{instance}}"),
                                              ("backup_last_data_added_bytes", "added {{instance}}")],
                     unit="bytes", w=12),
    )
    return P.dashboard(
        UID, "Lookout / Nightly backup", [last, work],
        description=describe(__name__, "The nightly restic backup: last success, duration, data read and added."),
        tags=tags("backup"), variables=P.job_instance_variables("backup_up"), scoped=True,
        links=P.dashboard_links("lookout"),
    )
