"""Restart a container through the Docker Engine API (POST /containers/{id}/restart):
runbook 002's watchdog, done by the daemon instead of a cron job and `docker restart`."""
from __future__ import annotations

import asyncio

from lookout.exporters.runtime import redact

from ..config import ActionConfig, DockerSettings
from .base import Action, ActionError


class DockerRestart(Action):
    kind = "docker_restart"

    def __init__(self, name: str, cfg: ActionConfig, docker: DockerSettings):
        super().__init__(name, cfg)
        self.docker = docker

    def _restart(self, target: str) -> str:
        import docker
        import docker.errors
        kwargs = {"base_url": self.docker.host} if self.docker.host else docker.utils.kwargs_from_env()
        # Docker's own stop grace inside our bound, and the HTTP timeout just past it.
        grace = max(int(self.cfg.timeout_seconds / 2), 1)
        try:
            client = docker.APIClient(version="auto", timeout=self.cfg.timeout_seconds, **kwargs)
        except docker.errors.DockerException as exc:
            raise ActionError(f"cannot reach the Docker daemon: {redact(str(exc))[:200]}") from None
        try:
            before = client.inspect_container(target)["RestartCount"]
            client.restart(target, timeout=grace)
            state = client.inspect_container(target)["State"]
        except docker.errors.NotFound:
            raise ActionError(f"no container named {target}") from None
        except docker.errors.APIError as exc:
            raise ActionError(f"Docker answered {exc.status_code}: {redact(str(exc.explanation))[:200]}") from None
        except Exception as exc:  # requests' connection errors and timeouts
            raise ActionError(f"Docker API: {type(exc).__name__}: {redact(str(exc))[:200]}") from None
        finally:
            client.close()
        if not state.get("Running"):
            raise ActionError(f"container {target} is {state.get('Status')} after the restart")
        return f"container {target} restarted (started at {state.get('StartedAt')}, restart count was {before})"

    async def run(self, target: str) -> str:
        # The SDK blocks; its thread outlives a cut-off run, but the receiver stops waiting.
        return await asyncio.to_thread(self._restart, target)
