"""The RSS sync server, a Node app kept alive by PM2 (runbook 003). Key `pm2` everywhere:
it is the alert catalog's `system` label."""
from . import System

SYSTEM = System(
    key="pm2", display_name="Sync server", port=9863,
    description="Node under PM2 on a memory-starved Mac Mini", runbooks=("003",),
    demo_module="lookout.simulators.sync_server",
    demo_config="lookout.demo.targets.pm2:start",
)
