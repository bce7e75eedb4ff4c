"""Who is connected to TiDB and what they are doing, without ever reading the query text."""
from __future__ import annotations

import re

from lookout.exporters.runtime import Collector, Deadline, MetricSet, bounded
from lookout.exporters.runtime.metrics import Gauge

from .config import ProcesslistConfig

TYPE_CHECKING = False  # typing's own flag, without importing typing (issue 24: start-up)
if TYPE_CHECKING:  # the driver is imported by build(), after the configuration is read
    from .db import Database, Flavour

# Commands that hold a connection without running a statement.
_IDLE = ("Sleep", "Daemon", "Binlog Dump", "Binlog Dump GTID")


def _sql(flavour: Flavour) -> str:
    # TiDB's per-node processlist only shows the node we are connected to.
    table = "information_schema.CLUSTER_PROCESSLIST" if flavour.name == "tidb" else "information_schema.PROCESSLIST"
    idle = ", ".join(f"'{c}'" for c in _IDLE)
    return (f"SELECT COMMAND, STATE, USER, COUNT(*), MAX(CASE WHEN COMMAND IN ({idle}) THEN 0 ELSE TIME END) "
            f"FROM {table} WHERE ID <> CONNECTION_ID() GROUP BY COMMAND, STATE, USER")


def normalise_state(state: object) -> str:
    text = re.sub(r"[^a-z0-9]+", "_", str(state or "").strip().lower()).strip("_")
    return text[:40] or "none"


CONNECTIONS = Gauge("processlist_connections", "Server connections by command, normalised state and user.",
                    labels=("command", "state", "user"))
OLDEST = Gauge("processlist_oldest_query_seconds", "Age of the oldest statement still running (0 when none).")

class ProcesslistCollector(Collector):
    name = "processlist"
    metrics = (CONNECTIONS, OLDEST,)

    def __init__(self, db: Database, cfg: ProcesslistConfig):
        self.db = db
        self.cfg = cfg

    def collect(self, out: MetricSet, deadline: Deadline) -> None:
        rows = self.db.query(_sql, deadline)
        rows = [(str(cmd or "none"), normalise_state(state), str(user or "none"), int(n), int(age or 0))
                for cmd, state, user, n, age in rows]
        commands = bounded((r[0] for r in rows), 15)
        states = bounded((r[1] for r in rows), self.cfg.max_states)
        users = bounded((r[2] for r in rows), self.cfg.max_users)
        counts: dict[tuple[str, str, str], int] = {}
        oldest = 0
        for cmd, state, user, n, age in rows:
            key = (commands[cmd], states[state], users[user])
            counts[key] = counts.get(key, 0) + n
            oldest = max(oldest, age)
        for (cmd, state, user), n in sorted(counts.items()):
            out.add(CONNECTIONS, n, command=cmd, state=state, user=user)
        out.add(OLDEST, oldest)
