"""The catalog: every signal, with the operator's overrides applied.

`build(thresholds)` is what the rule generator and the dashboards read (each main() builds it
once and passes it on); a bad thresholds file raises OverrideError naming the key.
"""
from __future__ import annotations

import dataclasses
import re
from string import Template
from pathlib import Path

from . import overrides
from .model import Signal
from .settings import THRESHOLDS_FILE, Config
from .signals import MODULES


def defaults() -> list[Signal]:
    signals = [s for module in MODULES.values() for s in module.SIGNALS]
    keys = [s.key for s in signals]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise ValueError(f"signal keys defined twice: {', '.join(duplicates)}")
    return signals


def anchor(heading: str) -> str:
    """GitHub's anchor for a markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def build(thresholds: Path | None = THRESHOLDS_FILE, runbook_base: str | None = None) -> list[Signal]:
    """Defaults, then overrides from `thresholds` (None: defaults only), with the `_config`
    section's selectors and links filled in; `runbook_base` (an absolute URL of
    docs/runbooks.md) wins over the file's runbook_url_base."""
    signals = defaults()
    config = Config()
    if thresholds is not None:
        data = overrides.load(thresholds)
        config = overrides.config(data)
        signals = overrides.apply(signals, data)
    if runbook_base is not None:
        config = dataclasses.replace(config, runbook_url_base=runbook_base)
    return [_configured(s, config) for s in signals]


def _configured(sig: Signal, config: Config) -> Signal:
    values = config.values()
    # Each alert's runbook section is headed by its name.
    runbook = sig.runbook or anchor(sig.alert)
    base = config.runbook_url_base
    return dataclasses.replace(
        sig, runbook=runbook, runbook_url=f"{base}#{runbook}",
        expr=Template(sig.expr).safe_substitute(values),
        labels={k: Template(v).substitute(values) for k, v in sig.labels.items()})


def signal(key: str, signals: list[Signal]) -> Signal:
    """The signal `key` among `signals` (from build()); KeyError naming the known keys."""
    for s in signals:
        if s.key == key:
            return s
    raise KeyError(f"no signal {key!r}; known: {', '.join(s.key for s in signals)}")
