"""The database server's uptime, so a restart (runbook 000's midnight SIGHUP) is visible."""
from __future__ import annotations

import time
from datetime import datetime
from typing import TYPE_CHECKING

from lookout.exporters.runtime import CollectError, Collector, Deadline, MetricSet
from lookout.exporters.runtime.metrics import Gauge

if TYPE_CHECKING:  # the driver is imported by build(), after the configuration is read
    from .db import Database


_UPTIME = {
    "mariadb": "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'UPTIME'",
    "mysql": "SELECT VARIABLE_VALUE FROM performance_schema.global_status WHERE VARIABLE_NAME = 'Uptime'",
    # TiDB keeps no Uptime status; its cluster table knows when each tidb-server started.
    # The latest start is the one a restart moves.
    "tidb": "SELECT MAX(START_TIME) FROM information_schema.CLUSTER_INFO WHERE TYPE = 'tidb'",
}


UPTIME = Gauge("database_uptime_seconds", "Database server uptime; it drops when the server restarts.")
STARTED = Gauge("database_start_time_seconds", "When the database server started (Unix time).")

class ServerCollector(Collector):
    name = "server"
    metrics = (UPTIME, STARTED,)

    def __init__(self, db: Database):
        self.db = db

    def collect(self, out: MetricSet, deadline: Deadline) -> None:
        rows = self.db.query(lambda flavour: _UPTIME[flavour.name], deadline)
        flavour = self.db.flavour.name
        if not rows or rows[0][0] is None:
            raise CollectError("query", "the server reported no uptime")
        now = time.time()
        if flavour == "tidb":
            started = datetime.fromisoformat(str(rows[0][0])).timestamp()
            uptime = max(now - started, 0.0)
        else:
            uptime = float(rows[0][0])
            started = now - uptime
        out.add(UPTIME, uptime)
        out.add(STARTED, round(started))
