"""The nightly backup: the status file as the cron job leaves it (restic's summary line),
recorded; the exporter's `/metrics` read from it in this process (`python -m tests.golden`)."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import yaml

from lookout.exporters.runtime.config import Loader
from lookout.systems.backup.exporter import EXPORTER

from tests.golden import normalise, scrape

NAME = "backup"
REPO = "restic/restic"
# Written by hand in summaryOutput's shape: no restic runs in the unit tier to re-record it.
record = None


def folder() -> Path:
    return Path(__file__).resolve().parent / "recorded"


def sources() -> dict:
    return yaml.safe_load((folder() / "SOURCES.yml").read_text())


def render() -> str:
    """`/metrics` (Prometheus text) of the exporter reading the recorded status file, normalised."""
    with tempfile.TemporaryDirectory(prefix="lookout-golden-backup-") as tmp:
        status_file = Path(tmp) / "restic-summary.json"
        shutil.copy(folder() / sources()["status_file"]["file"], status_file)
        cfg = Loader(EXPORTER.namespace, environ={}).load(EXPORTER.config_class, {"status_file": str(status_file)})
        return normalise(scrape(EXPORTER.namespace, EXPORTER.build(cfg)))


def main() -> None:
    """Rewrite golden.prom (what `python -m tests.golden` does once it walks the registry)."""
    (Path(__file__).resolve().parent / "golden.prom").write_text(render())


if __name__ == "__main__":
    main()
