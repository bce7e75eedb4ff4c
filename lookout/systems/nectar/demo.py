"""Nectar's hooks for the native demo (lookout/demo/hooks.py lists them): TiDB as a service a
scenario stops (MariaDB stands in for it), and the fast profile's TiDBRestarted threshold."""
from __future__ import annotations

PROFILES = {
    "fast": {"thresholds": {
        # Seconds of age or uptime are thresholds, not windows: compressed by hand.
        "tidb_uptime": {"warning": 5},               # TiDBRestarted: up for less than 5 s
    }},
}


def _stop_tidb(stack) -> None:
    stack.mariadb().kill()  # as a crash: connections cut, no goodbye


def _start_tidb(stack) -> bool:
    db = stack.mariadb_server
    if db and db.proc and db.proc.poll() is not None:
        db.start()
        return True
    return False


SERVICES = {"tidb": (_stop_tidb, _start_tidb)}
