"""Configuration files the native demo writes into its temp dir: one per exporter."""
from __future__ import annotations

from pathlib import Path

import yaml

from .profiles import Profile

def runtime_settings(profile: Profile) -> dict:
    # With 1 s scrapes the default 0.5 s offset would leave half the deadline unused.
    return {"scrape": {"timeout_offset_seconds": 0.2 if profile.scrape_interval < 5 else 0.5},
            "log": {"level": "info"}}


def nectar(profile: Profile, db_port: int, log_file: Path, unified_errors: Path | None = None) -> dict:
    logfile = {"path": str(log_file), **({"unified_errors_path": str(unified_errors)} if unified_errors else {})}
    return {**runtime_settings(profile),
            "database": {"host": "127.0.0.1", "port": db_port, "user": "root", "database": "nectar",
                         "reconnect_max_backoff_seconds": 2},
            "chain": {"network": "mainnet"},
            "process": {"cmdline_regex": r"-m lookout\.systems\.nectar\.simulator"},
            "logfile": logfile}


def ticks(profile: Profile, dsn_file: Path, docker_host: str | None, container: str, disk_path: Path) -> dict:
    cfg = {**runtime_settings(profile),
           "database": {"dsn_file": str(dsn_file), "reconnect_max_backoff_seconds": 2},
           "tables": [{"name": "eth_option_quotes", "time_column": "timestamp", "instrument_column": "instrument",
                       "window_seconds": profile.ticks_window_seconds}],
           "disk": {"paths": [str(disk_path)]}}
    if docker_host:
        cfg["docker"] = {"host": docker_host, "containers": [container]}
        cfg["tables"][0]["fed_by"] = container  # its CollectorDown explains this table's symptoms
    return cfg


def pm2(profile: Profile, home: Path, health_url: str, watchdog_log: Path | None = None) -> dict:
    return {**runtime_settings(profile), "daemon": {"home": str(home)}, "health": {"url": health_url},
            **({"watchdog": {"path": str(watchdog_log)}} if watchdog_log else {})}


def tburn(profile: Profile, base_url: str) -> dict:
    # The simulator's session cookie (lookout.systems.tburn.simulator --session): a demo value, not a secret.
    # The shard routes are opt-in: on a real TBURN the first request to them starts its
    # simulated shard orchestrator (docs/exporters/tburn.md); the demo's simulator has none
    # to start, and the demo shows their alerts.
    return {**runtime_settings(profile), "base_url": base_url,
            "auth": {"cookie": "connect.sid=lookout-demo-session"},
            "endpoints": {"circuit_breakers": {"enabled": True}, "shards": {"enabled": True}}}


def write(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path
