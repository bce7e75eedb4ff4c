"""Nectar in the live stack (tests/dashboards/live_stack.py): a MariaDB standing in for TiDB with
blocks indexed every half second from Alonzo (so the sync-speed and ETA panels apply), a
process found through its pidfile, and Nectar's log lines."""
from __future__ import annotations

import itertools
import subprocess
import time

from lookout.devstack.mariadb import MariaDB

NECTAR_START_SLOT = 60_549_573   # runbook 000: where Nectar stopped, in Alonzo
SLOTS_PER_STEP = 1000            # far faster than the tip moves, so the ETA is finite


def start(stack) -> None:
    """Start it on `stack` (a live_stack.Stack): backend, activity, exporter."""
    db = MariaDB(stack.workdir / "mariadb")
    stack.later(db.stop)
    db.start()
    password = "live-nectar-pw-4412"
    db.execute("CREATE DATABASE nectar", f"CREATE USER 'lookout'@'%' IDENTIFIED BY '{password}'",
               "GRANT SELECT, PROCESS ON *.* TO 'lookout'@'%'")
    db.execute("CREATE TABLE blocks (id BIGINT AUTO_INCREMENT PRIMARY KEY, slot_no BIGINT NOT NULL,"
               " block_no BIGINT NOT NULL, KEY idx_slot (slot_no))", database="nectar")
    blocks = itertools.count(1)

    def index_more():
        n = next(blocks)
        db.execute(f"INSERT INTO blocks (slot_no, block_no) VALUES ({NECTAR_START_SLOT + n * SLOTS_PER_STEP}, {n})",
                   database="nectar")
    index_more()
    stack.every_half_second(index_more)
    # The "Nectar process": a sleeper found through its pidfile.
    sleeper = subprocess.Popen(["sleep", "3600"])
    stack.later(lambda: (sleeper.kill(), sleeper.wait()))
    pidfile = stack.workdir / "nectar.pid"
    pidfile.write_text(f"{sleeper.pid}\n")
    log = stack.workdir / "nectar.log"
    log.write_text("")
    unified = stack.workdir / "unified_errors.log"
    unified.write_text("")
    # Nectar's stdout with Go's log prefix (database/connection_recovery.go's messages).
    lines = itertools.cycle([
        "[ConnectionRecovery] Health check failed: dial tcp 127.0.0.1:4000: connect: connection refused",
        "[ConnectionRecovery] Reconnect attempt 1/10 failed: dial tcp 127.0.0.1:4000: connect: connection refused",
        "[ConnectionRecovery] Database connection established successfully",
        "[ConnectionRecovery] Automatic recovery failed: failed to reconnect after 10 attempts",
        "ERROR worker 3: context deadline exceeded",
    ])
    def log_more():
        with log.open("a") as f:
            f.write(time.strftime("%Y/%m/%d %H:%M:%S ") + next(lines) + "\n")
    stack.every_half_second(log_more)
    stack.exporter("nectar", {
        "database": {"host": "127.0.0.1", "port": db.port, "user": "lookout", "password": password,
                     "database": "nectar"},
        "process": {"pidfile": str(pidfile)},
        "logfile": {"path": str(log), "unified_errors_path": str(unified)},
    })
