"""Restart a PM2 app over the daemon's RPC socket, the one the pm2 exporter reads.

Never the PM2 CLI: when the daemon is gone, `pm2 restart` starts a new, empty daemon,
which hides the outage. Here a dead socket is an ActionError.

A plain restart is PM2's `restartProcessId` for each process with the app's name, as the
CLI does (lib/API.js `_operate`). Runbook 003's emergency restart ("NODE_OPTIONS=
--max-old-space-size=128 pm2 start ... --only rss-sync-server") passes NODE_OPTIONS in the
restart's env, which the daemon merges into the app's environment (God/ActionMethods.js
restartProcessId: `Utility.extend(proc.pm2_env.env, env)`).
"""
from __future__ import annotations

import asyncio
import time

from lookout.pm2rpc import RpcClient
from lookout.exporters.runtime import CollectError

from ..config import ActionConfig, PM2Settings
from .base import Action, ActionError


class PM2Restart(Action):
    kind = "pm2_restart"

    def __init__(self, name: str, cfg: ActionConfig, pm2: PM2Settings):
        super().__init__(name, cfg)
        self.rpc = RpcClient(pm2.socket_path())

    async def run(self, target: str) -> str:
        # The RPC client blocks (with its own timeouts): off the receiver's event loop.
        return await asyncio.to_thread(self._restart, target)

    def _restart(self, target: str) -> str:
        # The calls share the action's bound, so a thread the receiver gave up on ends by then.
        end = time.monotonic() + self.cfg.timeout_seconds

        def left() -> float:
            return max(end - time.monotonic(), 0.0)
        try:
            (procs, *_) = self.rpc.call("getMonitorData", {}, left()) or [None]
            if not isinstance(procs, list):
                raise ActionError("the PM2 daemon did not return a process list")
            ids = sorted(p["pm_id"] for p in procs if isinstance(p, dict) and p.get("name") == target)
            if not ids:
                raise ActionError(f"PM2 runs no app named {target}")
            env = {}
            if self.cfg.max_old_space_size_mb:
                env["NODE_OPTIONS"] = f"--max-old-space-size={self.cfg.max_old_space_size_mb}"
            for pm_id in ids:
                self.rpc.call("restartProcessId", {"id": pm_id, "env": env}, left())
        except CollectError as exc:
            raise ActionError(str(exc)) from None
        heap = f" with NODE_OPTIONS={env['NODE_OPTIONS']}" if env else ""
        return f"PM2 app {target} restarted{heap} (pm_id {', '.join(map(str, ids))})"
