"""The nightly backup: a cron job running `restic backup --json` that leaves restic's summary
in a status file. No server to ask: the exporter reads the file (docs/adding-a-system.md's
worked example)."""
from lookout.systems import System

SYSTEM = System(
    key="backup", display_name="Nightly backup", port=9865,
    description="a restic cron job that leaves a JSON status file",
    demo_module="lookout.systems.backup.simulator",
    demo_config="lookout.systems.backup.target:start",
)
