"""The database server's uptime, so a restart (runbook 000's midnight SIGHUP) is visible."""
from __future__ import annotations

import time
from datetime import datetime

from lookout.exporters.runtime import CollectError, Collector, Deadline, MetricSet
from lookout.exporters.runtime.metrics import Gauge

TYPE_CHECKING = False  # typing's own flag, without importing typing (issue 24: start-up)
if TYPE_CHECKING:  # the driver is imported by build(), after the configuration is read
    from .db import Database


# MariaDB and MySQL: the ping's COM_STATISTICS answer (Database.uptime). TiDB keeps no Uptime
# status; its cluster table knows when each tidb-server started. The latest start is the one a
# restart moves.
_TIDB_STARTED = "SELECT MAX(START_TIME) FROM information_schema.CLUSTER_INFO WHERE TYPE = 'tidb'"


UPTIME = Gauge("database_uptime_seconds", "Database server uptime; it drops when the server restarts.")
STARTED = Gauge("database_start_time_seconds", "When the database server started (Unix time).")

class ServerCollector(Collector):
    name = "server"
    metrics = (UPTIME, STARTED,)

    def __init__(self, db: Database):
        self.db = db

    def collect(self, out: MetricSet, deadline: Deadline) -> None:
        uptime = self.db.uptime(deadline)  # the ping's exchange of this collection, shared
        now = time.time()
        if self.db.flavour.name == "tidb":
            rows = self.db.query(_TIDB_STARTED, deadline)
            if not rows or rows[0][0] is None:
                raise CollectError("query", "the server reported no uptime")
            started = datetime.fromisoformat(str(rows[0][0])).timestamp()
            uptime = max(now - started, 0.0)
        elif uptime is None:
            raise CollectError("query", "the server reported no uptime")
        else:
            started = now - uptime
        out.add(UPTIME, uptime)
        out.add(STARTED, round(started))
