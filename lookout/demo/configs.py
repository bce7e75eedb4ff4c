"""Configuration files the native demo writes into its temp dir: one per exporter, Prometheus."""
from __future__ import annotations

from pathlib import Path

import yaml

from .profiles import Profile

EXPORTER_JOBS = ("nectar", "ticks", "pm2", "tburn")


def runtime_settings(profile: Profile) -> dict:
    # With 1 s scrapes the default 0.5 s offset would leave half the deadline unused.
    return {"scrape": {"timeout_offset_seconds": 0.2 if profile.scrape_interval < 5 else 0.5},
            "log": {"level": "info"}}


def nectar(profile: Profile, db_port: int, log_file: Path) -> dict:
    return {**runtime_settings(profile),
            "database": {"host": "127.0.0.1", "port": db_port, "user": "root", "database": "nectar",
                         "reconnect_max_backoff_seconds": 2},
            "chain": {"network": "mainnet"},
            "process": {"cmdline_regex": r"-m lookout\.simulators\.nectar_writer"},
            "logfile": {"path": str(log_file)}}


def ticks(profile: Profile, dsn_file: Path, docker_host: str | None, container: str, disk_path: Path) -> dict:
    cfg = {**runtime_settings(profile),
           "database": {"dsn_file": str(dsn_file), "reconnect_max_backoff_seconds": 2},
           "tables": [{"name": "eth_option_quotes", "time_column": "timestamp", "instrument_column": "instrument",
                       "window_seconds": profile.ticks_window_seconds}],
           "disk": {"paths": [str(disk_path)]}}
    if docker_host:
        cfg["docker"] = {"host": docker_host, "containers": [container]}
    return cfg


def pm2(profile: Profile, home: Path, health_url: str) -> dict:
    return {**runtime_settings(profile), "daemon": {"home": str(home)}, "health": {"url": health_url}}


def tburn(profile: Profile, base_url: str) -> dict:
    return {**runtime_settings(profile), "base_url": base_url}


def prometheus(profile: Profile, targets: dict[str, str], rule_files: list[Path], alertmanager: str) -> dict:
    interval = f"{profile.scrape_interval:g}s"
    return {
        "global": {"scrape_interval": interval, "scrape_timeout": f"{min(profile.scrape_interval, 10):g}s",
                   "evaluation_interval": f"{profile.evaluation_interval:g}s"},
        "rule_files": [str(p) for p in rule_files],
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": [alertmanager]}]}]},
        "scrape_configs": [{"job_name": job, "static_configs": [{"targets": [addr]}]} for job, addr in targets.items()],
    }


def write(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path
