"""The RSS sync server, a Node app kept alive by PM2 (runbook 003). Key `pm2` everywhere:
it is the alert catalog's `system` label."""
from lookout.systems import System

SYSTEM = System(
    key="pm2", display_name="Sync server", port=9863,
    description="Node under PM2 on a memory-starved Mac Mini", runbooks=("003",),
    demo_module="lookout.systems.pm2.simulator",
    demo_config="lookout.systems.pm2.target:start",
)
