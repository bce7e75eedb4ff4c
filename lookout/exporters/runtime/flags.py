"""The command line every exporter shares, spelled as Prometheus exporters spell it.

The flag names are exporter-toolkit's and promslog's (node_exporter, mysqld_exporter...):
`--web.listen-address`, `--web.config.file`, `--web.telemetry-path`, `--log.level`,
`--log.format`, `--version`. Lookout's earlier `--listen`, `--config` and `--web-config` stay
as aliases. A flag given on the command line wins over the same setting in the YAML file.
"""
from __future__ import annotations

import argparse
import functools
import os
import sys

from lookout import __version__

from .config import ConfigError
from .settings import LOG_FORMATS, LOG_LEVELS, RuntimeSettings

DEFAULT_TELEMETRY_PATH = "/metrics"


def parser_for(prog: str, description: str, default_port: int) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description=description, formatter_class=_HelpFormatter)
    p.add_argument("--config.file", "--config", dest="config", metavar="FILE",
                   help="YAML configuration file (flags below override its settings)")
    p.add_argument("--web.listen-address", "--listen", dest="listen", metavar="ADDRESS",
                   help=f"HOST:PORT to serve on (default :{default_port}; config web.listen_address)")
    p.add_argument("--web.config.file", "--web-config", dest="web_config", metavar="FILE",
                   help="exporter-toolkit web-config.yml with TLS and basic auth (config web.config_file)")
    p.add_argument("--web.telemetry-path", dest="telemetry_path", metavar="PATH",
                   help=f"path serving the metrics (default {DEFAULT_TELEMETRY_PATH}; config web.telemetry_path)")
    p.add_argument("--log.level", dest="log_level", choices=LOG_LEVELS,
                   help="only log messages at this level or above (default info; config log.level)")
    p.add_argument("--log.format", dest="log_format", choices=LOG_FORMATS,
                   help="logfmt or json (default logfmt; config log.format)")
    p.add_argument("--check-config", action="store_true", help="validate the configuration and exit")
    p.add_argument("--version", action=_Version, help="print the version, revision and Python version, and exit")
    return p


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, sized to the terminal as argparse sizes it, but without importing
    shutil for it: argparse builds a formatter for every add_argument (to check the metavar), and
    shutil's import (bz2, lzma, fnmatch) cost more start-up than the whole parser. The width is
    shutil.get_terminal_size's: $COLUMNS, else stdout's terminal, else 80."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24, width: int | None = None):
        super().__init__(prog, indent_increment, max_help_position, width if width is not None else _columns() - 2)


def _columns() -> int:
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


def python_version() -> str:
    """The interpreter's version as platform.python_version() gives it for CPython (the first word
    of sys.version, such as 3.11.7 or 3.13.0rc1), without importing platform at start-up."""
    return sys.version.split()[0]


class _Version(argparse.Action):
    """Like argparse's `version` action, but asks git for the revision only when called."""

    def __init__(self, option_strings, dest, **kw):
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kw)

    def __call__(self, parser, namespace, values, option_string=None):
        print(version_text(parser.prog))  # stdout, as argparse's own version action
        parser.exit()


def apply_flags(args: argparse.Namespace, runtime: RuntimeSettings) -> RuntimeSettings:
    """Write each flag given on the command line over the YAML's setting (the file is the base)."""
    overrides = {
        ("web", "listen_address"): args.listen,
        ("web", "config_file"): args.web_config,
        ("web", "telemetry_path"): args.telemetry_path,
        ("log", "level"): args.log_level,
        ("log", "format"): args.log_format,
    }
    for (section, key), value in overrides.items():
        if value is not None:
            setattr(getattr(runtime, section), key, value)
    runtime.web.telemetry_path = telemetry_path(runtime.web.telemetry_path)
    return runtime


def telemetry_path(value: str) -> str:
    """The metrics path, checked: absolute, no query, not the health or readiness endpoints."""
    if not value.startswith("/") or any(c in value for c in "?# \t\n") or value in ("/-/healthy", "/-/ready"):
        raise ConfigError("web.telemetry_path",
                          f"must be an absolute URL path such as /metrics, not {value!r}")
    return value


def version_text(prog: str) -> str:
    """`prog, version V (revision: R)` plus the Python build, as Prometheus's `--version` prints."""
    import platform  # only for --version
    return (f"{prog}, version {__version__} (revision: {revision()})\n"
            f"  python version: {python_version()} ({platform.python_implementation()})\n"
            f"  platform:       {platform.system().lower()}/{platform.machine()}")


@functools.cache
def revision() -> str:
    """The git commit the running code comes from: the one a wheel was built from
    (lookout/REVISION, written by setup.py's build step, as Go's -ldflags stamp does), else the
    checkout's HEAD, else `unknown`."""
    # os.path rather than pathlib: pathlib is not otherwise imported before the first scrape.
    here = os.path.dirname(os.path.realpath(__file__))  # <lookout package>/exporters/runtime
    try:
        with open(os.path.join(here, os.pardir, os.pardir, "REVISION"), encoding="utf-8") as f:
            value = f.read().strip()
    except OSError:
        value = ""
    if value:
        return value
    checkout = os.path.realpath(os.path.join(here, os.pardir, os.pardir, os.pardir))  # <checkout>/lookout/...
    import subprocess  # only in a checkout: an installed wheel has its REVISION

    try:
        out = subprocess.run(["git", "-C", str(checkout), "rev-parse", "--show-toplevel", "HEAD"],
                             capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    lines = out.stdout.split()
    # A wheel installed in a virtualenv inside some other repository must not report that
    # repository's commit: the code must be the checkout's own.
    if out.returncode != 0 or len(lines) != 2 or os.path.realpath(lines[0]) != checkout or len(lines[1]) != 40:
        return "unknown"
    return lines[1]
