"""How each tick-collector signal's series are made for the generated promtool cases
(tests/alerts/rulecases.py): the metric it reads and the labels its alert keeps."""
from tests.alerts.rulecases import Fixture, burst, gauge, ratio, stateset

HEALTH_STATES = ("starting", "healthy", "unhealthy", "none")
C = {"container": "eth-collector"}

FIXTURES: dict[str, Fixture] = {
    "ticks_rate": gauge("ticks", "ticks_table_ticks_per_minute", table="eth_option_quotes"),
    "ticks_last_tick_age": gauge("ticks", "ticks_table_last_tick_age_seconds", table="eth_option_quotes"),
    "ticks_reconnects": burst("ticks", "ticks_log_events_total", 60, event="reconnect", **C),
    "ticks_errors": burst("ticks", "ticks_log_events_total", 60, event="error", **C),
    "ticks_restarts": burst("ticks", "ticks_container_restarts_total", 60, **C),
    "ticks_container_running": gauge("ticks", "ticks_container_running", **C),
    "ticks_container_unhealthy": stateset("ticks", "ticks_container_health", HEALTH_STATES,
                                          lambda v: "unhealthy" if v >= 1 else "healthy", **C),
    "ticks_container_memory": ratio("ticks", "ticks_container_memory_usage_bytes",
                                    "ticks_container_memory_limit_bytes", **C),
    "ticks_database_up": gauge("ticks", "ticks_up"),
    "ticks_disk_usage": gauge("ticks", "ticks_disk_used_ratio", 0.01, path="/var/lib/postgresql"),
}
