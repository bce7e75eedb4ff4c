"""The receiver's configuration in the native demo: acting (not dry-run), short guards so a
scenario closes within the fast profile, the demo's own Docker engine, and the actions (with any
settings section they read) each system offers through its demo hooks (lookout/demo/hooks.py)."""
from __future__ import annotations

from pathlib import Path


def demo_config(workdir: Path, docker_host: str | None, fast: bool, parts: list[tuple[object, dict]]) -> dict:
    """lookout-remediate's configuration (lookout/remediate/config.py's shape) from the systems'
    parts, (system, {"actions": {...}, <section>: {...}}) in registry order. An action name or a
    settings section two systems both give is a ValueError naming both."""
    config = {
        "enabled": True, "dry_run": False, "audit_log": str(workdir / "remediate-audit.jsonl"),
        # The fast profile compresses an hour into a minute; the guards follow.
        "cooldown_seconds": 20 if fast else 600, "max_attempts": 3, "window_seconds": 120 if fast else 3600,
        "docker": {"host": docker_host or ""},
    }
    actions: dict[str, dict] = {}
    given: dict[str, str] = {}
    for system, part in parts:
        key = getattr(system, "key", str(system))
        for name, value in part.items():
            target = actions if name == "actions" else config
            for item, body in (value.items() if name == "actions" else [(name, value)]):
                if item in target or item in given:
                    raise ValueError(f"remediation {item!r} is given by both {given.get(item, 'the demo')} and {key}")
                target[item], given[item] = body, key
    config["actions"] = actions
    return config
