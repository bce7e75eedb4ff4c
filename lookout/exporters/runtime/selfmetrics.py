"""The exporter's metrics about itself: a few per exporter, one fixed family per collector.

Per exporter (under its namespace): `<ns>_up`, `<ns>_build_info`, `<ns>_collections_total` and,
only when a minimum interval is configured, `<ns>_scrape_cache_age_seconds`.
Per collector, ONE family shared by every exporter (label `exporter` = the namespace), so rules
and dashboards need no list of namespaces (docs/exporters/common.md).
"""
from __future__ import annotations

from .metrics import Counter, Descriptor, Gauge

UP = Gauge("up", "1 when every reachability probe of the exporter's backend answered within the "
                 "scrape deadline (a ping, not the data queries).")
BUILD_INFO = Gauge("build_info", "Lookout build information.", labels=("version", "python_version"))
COLLECTIONS = Counter("collections", "Collections run (concurrent scrapes share one).")
CACHE_AGE = Gauge("scrape_cache_age_seconds",
                  "Age of the collection this scrape was served from (only with a minimum interval).")

_L = ("exporter", "collector")
SUCCESS = Gauge("lookout_collector_success",
                "1 when the collector finished without error within this scrape's deadline.", _L, shared=True)
DURATION = Gauge("lookout_collector_duration_seconds",
                 "How long the collector ran in the collection this scrape shows (so far, if unfinished).",
                 _L, shared=True)
LAST_SUCCESS = Gauge("lookout_collector_last_success_timestamp_seconds",
                     "When the collector last succeeded (Unix time, 0 if never).", _L, shared=True)
ERRORS = Counter("lookout_collector_errors", "Collector failures by reason.", (*_L, "reason"), shared=True)
FIELDS_MISSING = Counter("lookout_collector_fields_missing",
                         "Answers that succeeded but lacked a field the collector is configured to read "
                         "(null is not missing).", (*_L, "field"), shared=True)

# Failure reasons every collector reports from the start (at 0), so a rate() sees the first one.
# `connection`: the backend could not be reached or dropped us; `timeout`: it did not answer
# within the deadline; `auth`: it refused our credentials; `tls`: the handshake or certificate
# failed; `query`: it answered with an error; `parse`: the answer was unreadable; `error`: a
# failure of the exporter itself. A collector may add its own (Collector.reasons).
KNOWN_REASONS = ("timeout", "connection", "auth", "tls", "query", "parse", "error")


def exporter_self_descriptors() -> tuple[Descriptor, ...]:
    from .webconfig import RELOAD_OK, RELOAD_TIME  # only with web.config_file
    return (UP, BUILD_INFO, COLLECTIONS, CACHE_AGE, SUCCESS, DURATION, LAST_SUCCESS, ERRORS, FIELDS_MISSING,
            RELOAD_OK, RELOAD_TIME)
