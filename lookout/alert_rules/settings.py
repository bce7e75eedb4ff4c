"""Settings of the rule generator that are not thresholds (those live in the signals), and
the operator's `_config` section of thresholds.yml (selectors and links, like a mixin's
`_config`)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

from lookout.systems import SELF_SYSTEM
from lookout.systems import SYSTEMS as REGISTRY

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

# One generated rule file per system of the registry (lookout/systems/), in its order, then
# the pseudo-system of the exporters' own alerts.
SYSTEMS = (*(s.key for s in REGISTRY), SELF_SYSTEM)

RUNBOOK_PAGE = "docs/runbooks.md"
# Where the project's docs are published: the default of every runbook_url (the same place
# lookout/remediate/alerts.yml links to). Alertmanager and Grafana show the link as is, so it
# must be absolute; override it in thresholds.yml's _config or `python -m lookout.deploy
# --runbook-base` where your copy is served.
DEFAULT_RUNBOOK_BASE = "https://github.com/lookout/lookout/blob/main/docs/runbooks.md"


def doc_url(base: str, page: str) -> str:
    """The URL of `page` (a path under docs/, such as deploying.md) next to
    `base`, the URL of docs/runbooks.md: its directory plus `page`."""
    return base.rsplit("/", 1)[0] + "/" + page


def absolute_url_problem(url: str) -> str | None:
    """Why `url` cannot be a runbook base (None: it can): an http(s) URL with a host, no `#`."""
    from urllib.parse import urlsplit
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"must be an absolute http(s) URL (the page of docs/runbooks.md), not {url!r}"
    if parts.fragment or "#" in url:
        return "must not contain #: each alert adds its own anchor"
    return None


# The scrape interval the rules are written for: every range window must span at least
# two scrapes, or rate()/delta() see a single sample and return nothing.
SCRAPE_INTERVAL_SECONDS = 30

THRESHOLDS_FILE = HERE / "thresholds.yml"
OUTPUT_DIR = HERE / "generated"
ALERTMANAGER_FILE = ROOT / "prometheus" / "alertmanager.yml"


def system_settings() -> dict[str, str]:
    """{name: default} of the systems' own `_config` settings: each signals module's `CONFIG`
    (found through the registry), in registry order. A name two systems declare, or one that
    is a shared setting, raises ValueError."""
    from .signals import MODULES
    shared = {f.name for f in fields(Config)} - {"systems"}
    out: dict[str, str] = {}
    for key, module in MODULES.items():
        for name, default in getattr(module, "CONFIG", {}).items():
            if name in out or name in shared:
                raise ValueError(f"_config.{name} of system {key!r} is declared twice")
            out[name] = default
    return out


@dataclass(frozen=True)
class Config:
    """thresholds.yml's `_config`: every setting may be set there (strings)."""
    # Regex for the `job` label of Lookout's exporters: ExporterDown watches only these,
    # not the operator's unrelated scrape targets. Default: the compose and demo job names.
    exporter_jobs: str = "|".join(s.job for s in REGISTRY)
    # Every runbook_url is this plus `#<anchor>`, the anchor a heading of docs/runbooks.md
    # (each system's sections come from its folder's runbook.md). Absolute:
    # the project's published docs unless you serve your own copy.
    runbook_url_base: str = DEFAULT_RUNBOOK_BASE
    # The operator's values of the systems' own settings (system_settings()), by name.
    systems: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def keys(cls) -> list[str]:
        """Every setting's name: the shared ones, then the systems'."""
        return [f.name for f in fields(cls) if f.name != "systems"] + list(system_settings())

    def values(self) -> dict[str, str]:
        """{name: value} of every setting (defaults filled in): what `${name}` in a signal's
        expression or labels becomes."""
        shared = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "systems"}
        return {**shared, **system_settings(), **self.systems}
