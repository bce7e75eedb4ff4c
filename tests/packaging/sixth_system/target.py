"""The nightly backup's demo target: the job's stand-in writing the status file in the demo's
folder, and the exporter pointed at that file."""
from __future__ import annotations

from lookout.demo.configs import runtime_settings
from lookout.systems import by_key


def start(stack) -> dict:
    system = by_key("backup")
    status_file = stack.dir / "backup" / "restic-summary.json"
    status_file.parent.mkdir(exist_ok=True)
    # A run a minute instead of a night: the demo shows the file being replaced.
    every = "6" if stack.profile.compressed else "60"
    stack.simulator(system.demo_target, system.demo_module, ["--status-file", str(status_file), "--every", every])
    return {**runtime_settings(stack.profile), "status_file": str(status_file)}
