"""Nectar's demo target: the Nectar writer on MariaDB (standing in for TiDB)."""
from __future__ import annotations

import re

from lookout.demo import configs
from lookout.systems import by_key


def start(stack) -> dict:
    db = stack.mariadb()
    log = stack.dir / "nectar.log"
    unified = stack.dir / "unified_errors.log"  # where Nectar logs the blocks it drops
    system = by_key("nectar")
    # After a give-up the writer pauses, then tries again (the real indexer stops there). In
    # the fast profile that pause must not outlast NectarSyncStalled's compressed 10 s `for`,
    # or a mended outage would read as a stall the database page does not explain.
    pause = ["--give-up-pause", "1"] if stack.profile.compressed else []
    stack.simulator(system.demo_target, system.demo_module,
                    ["--db-port", str(db.port), "--log-file", str(log),
                     "--unified-errors-file", str(unified), *pause])
    return {**configs.runtime_settings(stack.profile),
            "database": {"host": "127.0.0.1", "port": db.port, "user": "root", "database": "nectar",
                         "reconnect_max_backoff_seconds": 2},
            "chain": {"network": "mainnet"},
            # The writer stands in for Nectar's process (NectarProcessDown watches it).
            "process": {"cmdline_regex": f"-m {re.escape(system.demo_module)}"},
            "logfile": {"path": str(log), "unified_errors_path": str(unified)}}
