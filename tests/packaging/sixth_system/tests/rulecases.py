"""How the backup's signals' series are made for the generated promtool cases
(tests/alerts/rulecases.py). backup_age reads `time() - <timestamp>`, which no constant series
walks across its boundaries: its cases are hand-written (rule_cases.yml)."""
from tests.alerts.rulecases import Fixture, gauge

FIXTURES: dict[str, Fixture] = {
    "backup_up": gauge("backup", "backup_up"),
}
