"""RECORDED ANSWERS of a database, not a mock of one: each statement an exporter sends is
answered with the rows recorded for that exact text (`rows.yml` of the exporter's recorded
folder); a statement with no recording fails, so a changed query shows up as a stale golden
file, never as a silently invented answer. The seam is the exporter's own database object
(`query`/`fetchrow`/`ping`): what the driver would have handed back, the collectors parse."""
from __future__ import annotations

import contextlib
from pathlib import Path

import yaml


class RecordedStatements:
    """The recorded rows by statement text, and the statements asked for (in order)."""

    def __init__(self, path: Path):
        self.path = path
        self.answers = {entry["statement"]: entry for entry in yaml.safe_load(path.read_text())}
        self.asked: list[str] = []

    def rows(self, statement: str) -> list:
        self.asked.append(statement)
        try:
            return self.answers[statement]["rows"]
        except KeyError:
            raise AssertionError(f"no recorded answer in {self.path.name} for the statement {statement!r}: "
                                 "the exporter's query changed; record its answer again") from None


@contextlib.contextmanager
def replaced(module, name: str, recorded_class):
    """`module.name` is `recorded_class` while the exporter's build() runs, then restored."""
    original = getattr(module, name)
    setattr(module, name, recorded_class)
    try:
        yield
    finally:
        setattr(module, name, original)
