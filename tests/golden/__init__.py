"""Golden `/metrics` per exporter, rendered in-process from recorded answers (node_exporter's
golden collector output, mysqld_exporter's per-scraper tests against recorded answers).

Each system keeps its own in its folder, lookout/systems/<key>/tests/:
- `golden.py`: NAME, REPO, `render()` (the `/metrics` body, normalised; a plain function: the
  collectors run on the scrape's threads), `sources()`, `folder()` and `record` (a function
  re-recording the answers, or None);
- `recorded/` holds the answers its backend gave (TBURN's recorded from its in-process
  simulator by `--record`; PM2's, Nectar's and the tick collector's were written by hand in
  the shapes of the cited application files, since their backends are processes the unit
  tier may not start, and are kept as committed), and `recorded/SOURCES.yml` names, for each,
  the application file and commit it mirrors;
- `golden.prom` is the exporter's `/metrics` rendered from them, in this process (the
  answers served on loopback by an in-process server, no process started), with the values
  that change from run to run (durations, timestamps, versions) masked.

This package holds what they share and the command, which walks the registry:

    python -m tests.golden [--update] # rewrite every golden file from the recorded answers
    python -m tests.golden --record   # re-record the answers from the simulators first
    python -m tests.golden --check    # exit 1 naming stale files (tests/golden/test_golden.py)
"""
from __future__ import annotations

import contextlib
import importlib
import re
from pathlib import Path
from types import ModuleType

from lookout.systems import SYSTEMS

# Values that change on every run (timings, this process's figures): masked to 0.
_VOLATILE = re.compile(r"^((?:lookout_collector_duration_seconds|lookout_collector_last_success_timestamp_seconds"
                       r"|\w+_scrape_duration_seconds|\w+_probe_seconds|process_\w+|python_\w+)(?:\{[^}]*\})?) \S+$", re.M)
_BUILD = re.compile(r'(\w+_build_info\{[^}]*?)python_version="[^"]*"([^}]*)\}')


def normalise(text: str, volatile: tuple[str, ...] = ()) -> str:
    """Golden form of a `/metrics` body: volatile values 0, no Python version, no version string.
    `volatile` names an exporter's own metrics read against this process's wall clock (an
    uptime from a recorded start, a tip slot): their values are masked to 0 as well."""
    text = _VOLATILE.sub(r"\1 0", text)
    if volatile:
        own = re.compile(rf"^((?:{'|'.join(map(re.escape, volatile))})(?:\{{[^}}]*\}})?) \S+$", re.M)
        text = own.sub(r"\1 0", text)
    text = _BUILD.sub(r'\1python_version="X"\2}', text)
    return re.sub(r'version="[^"]*"', 'version="X"', text)


def scrape(namespace: str, collectors: list, between=None) -> str:
    """The `/metrics` body of the second of two scrapes of `collectors` (the first lets a log
    tail open its files at their end, as a running exporter does; `between()` then appends the
    recorded lines), collectors closed afterwards."""
    from lookout import __version__
    from lookout.exporters.runtime import Deadline
    from lookout.exporters.runtime.scrape import Scraper

    scraper = Scraper(namespace, collectors, __version__)
    try:
        scraper.snapshot(Deadline(10))
        _all_succeeded(scraper, "first")
        if between is not None:
            between()
        body, _ = scraper.render(scraper.snapshot(Deadline(10)), None)
        _all_succeeded(scraper, "second")
    finally:
        for c in collectors:
            c.close()
    return body.decode()


def _all_succeeded(scraper, which: str) -> None:
    """Every golden records a healthy system: a collector that failed (a slow thread on a
    loaded machine, say) would show up as a stale golden, so name it and its error instead."""
    failed = {name: (st.reason, st.error) for name, st in scraper.status.items() if not st.success}
    if failed:
        raise AssertionError(f"the {which} golden scrape had failed collectors: {failed}")


def goldens() -> list[ModuleType]:
    """Each system's golden module (lookout/systems/<key>/tests/golden.py), in registry order;
    ModuleNotFoundError naming it where a system has none."""
    return [importlib.import_module(f"lookout.systems.{s.key}.tests.golden") for s in SYSTEMS]


def golden_file(module: ModuleType) -> Path:
    """Where a system's golden `/metrics` is committed: golden.prom beside its golden.py."""
    return Path(module.__file__).resolve().parent / "golden.prom"


def samples(text: str) -> dict:
    """A `/metrics` body as {(name, sorted label pairs): value}."""
    from prometheus_client.parser import text_string_to_metric_families
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for fam in text_string_to_metric_families(text) for s in fam.samples}


def sources(folder: Path) -> dict:
    """<folder>/SOURCES.yml: each recorded answer's file and the application file it mirrors."""
    import yaml
    return yaml.safe_load((folder / "SOURCES.yml").read_text())


@contextlib.contextmanager
def json_routes(src: dict, names: tuple[str, ...], folder: Path):
    """A loopback HTTP server (devstack's FuzzBodyServer, on a thread of its own) answering each
    recorded route of `names` (SOURCES.yml entries: `path`, `status`, `file` under `folder`)
    with its recorded JSON body and status, while the block runs; yields its base URL."""
    from lookout.devstack.fuzz_body_server import Canned, FuzzBodyServer
    server = FuzzBodyServer().start()
    try:
        for name in names:
            s = src[name]
            server.set(s["path"], Canned((folder / s["file"]).read_bytes(), status=s["status"]))
        yield server.url
    finally:
        server.stop()
