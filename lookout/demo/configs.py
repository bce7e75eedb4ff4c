"""Configuration files the native demo writes into its temp dir: one per exporter (each system's
target builds its own over `runtime_settings`), Prometheus, Alertmanager and lookout-remediate."""
from __future__ import annotations

from pathlib import Path

import yaml

from .profiles import Profile


def runtime_settings(profile: Profile) -> dict:
    # With 1 s scrapes the default 0.5 s offset would leave half the deadline unused.
    return {"scrape": {"timeout_offset_seconds": 0.2 if profile.scrape_interval < 5 else 0.5},
            "log": {"level": "info"}}


def write(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path
