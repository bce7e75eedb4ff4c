"""Restart a systemd unit (`systemctl restart --no-block`), for an operator who opts in.

Never in the defaults: restarting Nectar's TiDB is a human decision (issue 15). The unit
name is checked at load time and passed as one argument, never through a shell.
"""
from __future__ import annotations

import asyncio
import shutil

from .base import Action, ActionError


class SystemdRestart(Action):
    kind = "systemd_restart"

    async def run(self, target: str) -> str:
        systemctl = shutil.which("systemctl")
        if not systemctl:
            raise ActionError("systemctl is not installed on this host")
        proc = await asyncio.create_subprocess_exec(systemctl, "restart", "--no-block", "--", target,
                                                    stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        try:
            out, _ = await proc.communicate()
        except asyncio.CancelledError:
            proc.kill()
            raise
        if proc.returncode != 0:
            raise ActionError(f"systemctl restart {target} exited {proc.returncode}: {out.decode(errors='replace')[:200]}")
        return f"unit {target} restart queued"
