"""How each Nectar signal's series are made for the generated promtool cases
(tests/alerts/rulecases.py): the metric it reads and the labels its alert keeps."""
from tests.alerts.rulecases import Fixture, burst, gauge

FIXTURES: dict[str, Fixture] = {
    "nectar_database_up": gauge("nectar", "nectar_up"),
    "tidb_uptime": gauge("nectar", "nectar_database_uptime_seconds"),
    "nectar_memory": gauge("nectar", "nectar_process_resident_memory_bytes"),
    "nectar_process_up": gauge("nectar", "nectar_process_up"),
    "nectar_reconnects": burst("nectar", "nectar_reconnect_episodes_total", 15),
    "nectar_reconnect_giveups": burst("nectar", "nectar_reconnect_giveups_total", 60),
    "tidb_oldest_query": gauge("nectar", "nectar_processlist_oldest_query_seconds"),
}
