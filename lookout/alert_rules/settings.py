"""Settings of the rule generator that are not thresholds (those live in the signals)."""
from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent

# One generated rule file per system, in this order.
SYSTEMS = ("nectar", "ticks", "pm2", "tburn", "exporter")
# Exporter namespaces, for the exporters' own self-metrics (`<ns>_collector_success`).
NAMESPACES = ("nectar", "ticks", "pm2", "tburn")

# Every alert's runbook_url is this page plus `#<anchor>`; the anchor is a heading in
# docs/runbooks.md (the lint test checks it exists).
RUNBOOK_PAGE = "docs/runbooks.md"
RUNBOOK_BASE = "https://github.com/lookout/lookout/blob/main/" + RUNBOOK_PAGE

# The scrape interval the rules are written for: every range window must span at least
# two scrapes, or rate()/delta() see a single sample and return nothing.
SCRAPE_INTERVAL_SECONDS = 30

THRESHOLDS_FILE = HERE / "thresholds.yml"
OUTPUT_DIR = HERE / "generated"
