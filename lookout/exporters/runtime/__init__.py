"""The shared exporter runtime: HTTP, on-demand collection under a deadline, single-flight
caching, configuration, secrets and web security. Domain packages plug in through
`ExporterSpec` and `Collector`; they never touch the HTTP server or the scrape loop."""
from .backoff import Backoff
from .collector import CollectError, Collector
from .config import ConfigError, required
from .deadline import Deadline
from .descriptors import exporter_descriptors
from .main import ExporterSpec, main_for
from .probe import Probe
from .metrics import Counter, Descriptor, Gauge, LabelError, MetricSet, Quantiles, StateSet, bounded
from .secrets import Secret, redact

__all__ = ["Backoff", "CollectError", "Collector", "ConfigError", "Counter", "Deadline", "Descriptor",
           "ExporterSpec", "Gauge", "LabelError", "MetricSet", "Probe", "Quantiles", "Secret", "StateSet", "bounded",
           "exporter_descriptors", "main_for", "redact", "required"]
