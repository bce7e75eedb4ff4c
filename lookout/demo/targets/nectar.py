"""Nectar's demo target: the Nectar writer on MariaDB (standing in for TiDB)."""
from __future__ import annotations

from lookout.demo import configs
from lookout.systems import by_key


def start(stack) -> dict:
    db = stack.mariadb()
    log = stack.dir / "nectar.log"
    unified = stack.dir / "unified_errors.log"  # where Nectar logs the blocks it drops
    system = by_key("nectar")
    stack.simulator(system.demo_target, system.demo_module, ["--db-port", str(db.port), "--log-file", str(log),
                                                             "--unified-errors-file", str(unified)])
    return configs.nectar(stack.profile, db.port, log, unified)
