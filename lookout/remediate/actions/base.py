"""What every action shares: its name, its checked config, and how a target is chosen."""
from __future__ import annotations

from ..config import ActionConfig


class ActionError(Exception):
    """The remedy was attempted and failed; the message is safe to audit (no secrets)."""


class Action:
    kind = ""

    def __init__(self, name: str, cfg: ActionConfig):
        self.name = name
        self.cfg = cfg

    def target_for(self, labels: dict[str, str]) -> str | None:
        """The fixed target, or the alert label's value when it is allowed; None otherwise."""
        if self.cfg.target:
            return self.cfg.target
        value = labels.get(self.cfg.target_label, "")
        return value if value in self.cfg.allowed else None

    async def run(self, target: str) -> str:
        raise NotImplementedError

    async def close(self) -> None:
        pass
