"""Actions: each carries out one remedy through the application's real interface.

`build(name, cfg, settings)` turns a checked ActionConfig into an Action; `run(target)`
does the work and returns a short human summary, or raises ActionError. The receiver
bounds every run with the action's timeout; an action never decides whether to run.
"""
from __future__ import annotations

from ..config import ActionConfig, RemediateConfig
from .base import Action, ActionError


def build(name: str, cfg: ActionConfig, settings: RemediateConfig) -> Action:
    if cfg.type == "docker_restart":
        from .docker import DockerRestart
        return DockerRestart(name, cfg, settings.docker)
    if cfg.type == "pm2_restart":
        from .pm2 import PM2Restart
        return PM2Restart(name, cfg, settings.pm2)
    if cfg.type == "http":
        from .http import HttpRoutes
        return HttpRoutes(name, cfg)
    from .systemd import SystemdRestart
    return SystemdRestart(name, cfg)


__all__ = ["Action", "ActionError", "build"]
