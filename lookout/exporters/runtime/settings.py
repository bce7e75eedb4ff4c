"""Settings every exporter has, whatever its domain: `scrape`, `web` and `log` in the YAML."""
from __future__ import annotations

from lookout.records import record, field

TYPE_CHECKING = False  # typing's own flag: config.field_types reads the annotations as text
if TYPE_CHECKING:
    from typing import Literal

from .config import positive


@record
class ScrapeSettings:
    # Used when Prometheus sends no X-Prometheus-Scrape-Timeout-Seconds header.
    default_timeout_seconds: float = 10.0
    # A larger X-Prometheus-Scrape-Timeout-Seconds is cut to this.
    max_timeout_seconds: float = 120.0
    # Subtracted from the scrape timeout so the answer leaves before Prometheus gives up.
    timeout_offset_seconds: float = 0.5
    # Scrapes closer together than this reuse the last collection (0: always collect).
    min_interval_seconds: float = 0.0

    def validate(self, path: str) -> None:
        positive(f"{path}.default_timeout_seconds", self.default_timeout_seconds)
        positive(f"{path}.max_timeout_seconds", self.max_timeout_seconds)
        positive(f"{path}.timeout_offset_seconds", self.timeout_offset_seconds, allow_zero=True)
        positive(f"{path}.min_interval_seconds", self.min_interval_seconds, allow_zero=True)


@record
class WebSettings:
    listen_address: str = ""
    # exporter-toolkit web-config.yml with TLS and basic-auth users.
    config_file: str = ""
    # Where the metrics are served (--web.telemetry-path); the landing page stays on /.
    telemetry_path: str = "/metrics"
    # A connection that sends no complete request within this (at the start, or between
    # keep-alive requests) is closed: idle and slow clients cannot pile up descriptors.
    idle_timeout_seconds: float = 30.0
    # Linked from the landing page: where the operator's runbooks are (Lookout's docs/runbooks.md
    # as published for them). Empty: the page names docs/runbooks.md without a link.
    runbooks_url: str = ""

    def validate(self, path: str) -> None:
        positive(f"{path}.idle_timeout_seconds", self.idle_timeout_seconds)


# promslog's levels and formats (--log.level, --log.format); `warning` is kept for older configs.
LOG_LEVELS = ("debug", "info", "warn", "error")
LOG_FORMATS = ("logfmt", "json")


@record
class LogSettings:
    level: Literal["debug", "info", "warn", "warning", "error"] = "info"
    format: Literal["logfmt", "json"] = "logfmt"


@record
class RuntimeSettings:
    scrape: ScrapeSettings = field(default_factory=ScrapeSettings)
    web: WebSettings = field(default_factory=WebSettings)
    log: LogSettings = field(default_factory=LogSettings)


RUNTIME_KEYS = ("scrape", "web", "log")
