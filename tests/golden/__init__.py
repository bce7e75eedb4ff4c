"""Golden `/metrics` per exporter, rendered in-process from recorded answers (node_exporter's
golden collector output, mysqld_exporter's per-scraper tests against recorded answers).

For each exporter with a module here:
- `recorded/<exporter>/` holds the answers its backend gave, recorded from the simulator
  (`SOURCES.yml` names, for each, the application file and commit it mirrors);
- `<exporter>.prom` is the exporter's `/metrics` rendered from them, in this process (the
  answers served on loopback by an in-process server, no process started), with the values
  that change from run to run (durations, timestamps, versions) masked.

    python -m tests.golden            # rewrite every golden file from the recorded answers
    python -m tests.golden --record   # re-record the answers from the simulators first
    python -m tests.golden --check    # exit 1 naming stale files (tests/golden/test_golden.py)
"""
from __future__ import annotations

import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
RECORDED = HERE / "recorded"

# Values that change on every run (timings, this process's figures): masked to 0.
_VOLATILE = re.compile(r"^((?:lookout_collector_duration_seconds|lookout_collector_last_success_timestamp_seconds"
                       r"|\w+_scrape_duration_seconds|\w+_probe_seconds|process_\w+|python_\w+)(?:\{[^}]*\})?) \S+$", re.M)
_BUILD = re.compile(r'(\w+_build_info\{[^}]*?)python_version="[^"]*"([^}]*)\}')


def normalise(text: str) -> str:
    """Golden form of a `/metrics` body: volatile values 0, no Python version, no version string."""
    text = _VOLATILE.sub(r"\1 0", text)
    text = _BUILD.sub(r'\1python_version="X"\2}', text)
    return re.sub(r'version="[^"]*"', 'version="X"', text)
