"""The nightly backup in the live stack (tests/dashboards/live_stack.py): its job's stand-in
writing the status file, and the exporter reading it."""
from __future__ import annotations

from lookout.devstack.simulator import SimulatorProcess

# Every panel of its dashboard has data once the job has run once.
MAY_BE_EMPTY: dict = {}


def start(stack) -> None:
    """Start it on `stack` (a live_stack.Stack): the job (a run every 5 s), then the exporter."""
    status_file = stack.workdir / "restic-summary.json"
    job = SimulatorProcess(stack.workdir, ["--status-file", str(status_file), "--every", "5"],
                           module="lookout.systems.backup.simulator")
    stack.later(job.stop)
    job.wait_ready()
    stack.exporter("backup", {"status_file": str(status_file)})
