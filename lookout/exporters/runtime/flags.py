"""The command line every exporter shares, spelled as Prometheus exporters spell it.

The flag names are exporter-toolkit's and promslog's (node_exporter, mysqld_exporter...):
`--web.listen-address`, `--web.config.file`, `--web.telemetry-path`, `--log.level`,
`--log.format`, `--version`. Lookout's earlier `--listen`, `--config` and `--web-config` stay
as aliases. A flag given on the command line wins over the same setting in the YAML file.

argparse defines the command line (`parser_for`): its help, its usage errors (exit 2 naming
the argument) and `--version`. `parse` reads a command line that argparse would accept as it is
(each flag spelled whole, a value that is one of its choices) without importing argparse, and
hands every other one (`--help`, `--version`, an abbreviation, an unknown flag, a bad value) to
argparse: argparse with gettext and locale costs an exporter about 0.5 MB of resident memory and
about 23 million instructions (10 ms) of start-up (issue 24).
"""
from __future__ import annotations

import functools
import os
import sys
from types import SimpleNamespace

from lookout import __version__

from .config import ConfigError
from .settings import LOG_FORMATS, LOG_LEVELS, RuntimeSettings

TYPE_CHECKING = False  # typing's own flag, without importing typing or argparse at start-up
if TYPE_CHECKING:
    import argparse

DEFAULT_TELEMETRY_PATH = "/metrics"


def standard_flags(default_port: int) -> tuple:
    """The shared flags: (option strings, dest, choices (a tuple), None for a value or True for a
    switch, metavar, help); --version is argparse's alone."""
    return (
        (("--config.file", "--config"), "config", None, "FILE",
         "YAML configuration file (flags below override its settings)"),
        (("--web.listen-address", "--listen"), "listen", None, "ADDRESS",
         f"HOST:PORT to serve on (default :{default_port}; config web.listen_address)"),
        (("--web.config.file", "--web-config"), "web_config", None, "FILE",
         "exporter-toolkit web-config.yml with TLS and basic auth (config web.config_file)"),
        (("--web.telemetry-path",), "telemetry_path", None, "PATH",
         f"path serving the metrics (default {DEFAULT_TELEMETRY_PATH}; config web.telemetry_path)"),
        (("--log.level",), "log_level", LOG_LEVELS, None,
         "only log messages at this level or above (default info; config log.level)"),
        (("--log.format",), "log_format", LOG_FORMATS, None, "logfmt or json (default logfmt; config log.format)"),
        (("--check-config",), "check_config", True, None, "validate the configuration and exit"),
    )


def parse(prog: str, description: str, default_port: int, collectors: tuple[str, ...] = (),
          switches: dict[str, str] | None = None, argv: list[str] | None = None) -> SimpleNamespace:
    """The parsed command line (attributes as argparse names them: `config`, `listen`, ...,
    `collector.<name>`); argparse's own answer, exit and output for anything but the plain case."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = _plain(argv, standard_flags(default_port), collectors)
    if args is not None:
        return args
    from .collectorflags import add_collector_flags
    parser = parser_for(prog, description, default_port)
    add_collector_flags(parser, collectors, switches or {})
    return SimpleNamespace(**vars(parser.parse_args(argv)))


def _plain(argv: list[str], flags: tuple, collectors: tuple[str, ...]) -> SimpleNamespace | None:
    """The values argparse would give for `argv`, or None where argparse must decide: only whole
    option strings, `--flag value` or `--flag=value`, a value that does not start with `-` (argparse
    may take it for an option) and is among the flag's choices, a switch without `=`."""
    values: dict = {}
    options: dict[str, tuple] = {}
    for names, dest, choices, metavar, _ in flags:
        values[dest] = False if choices is True else None
        for name in names:
            options[name] = (dest, choices)
    for name in collectors:
        values[f"collector.{name}"] = None
        options[f"--collector.{name}"] = (f"collector.{name}", True)
        options[f"--no-collector.{name}"] = (f"collector.{name}", False)
    i = 0
    while i < len(argv):
        flag, eq, value = argv[i].partition("=")
        if flag not in options:
            return None
        dest, choices = options[flag]
        if choices is True or choices is False:
            if eq:
                return None
            values[dest] = choices
        else:
            if not eq:
                i += 1
                if i == len(argv) or argv[i].startswith("-"):
                    return None
                value = argv[i]
            if choices is not None and value not in choices:
                return None
            values[dest] = value
        i += 1
    return SimpleNamespace(**values)


def parser_for(prog: str, description: str, default_port: int) -> argparse.ArgumentParser:
    import argparse  # only for --help, --version and usage errors (and lookout-remediate)

    class HelpFormatter(argparse.HelpFormatter):
        """argparse's formatter, sized to the terminal as argparse sizes it, but without importing
        shutil for it (bz2, lzma, fnmatch: more than the whole parser). The width is
        shutil.get_terminal_size's: $COLUMNS, else stdout's terminal, else 80."""

        def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                     width: int | None = None):
            super().__init__(prog, indent_increment, max_help_position, width if width is not None else _columns() - 2)

    class Version(argparse.Action):
        """Like argparse's `version` action, but asks git for the revision only when called."""

        def __init__(self, option_strings, dest, **kw):
            super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kw)

        def __call__(self, parser, namespace, values, option_string=None):
            print(version_text(parser.prog))  # stdout, as argparse's own version action
            parser.exit()

    p = argparse.ArgumentParser(prog=prog, description=description, formatter_class=HelpFormatter)
    for names, dest, choices, metavar, text in standard_flags(default_port):
        if choices is True:
            p.add_argument(*names, dest=dest, action="store_true", help=text)
        else:
            p.add_argument(*names, dest=dest, metavar=metavar, choices=choices, help=text)
    p.add_argument("--version", action=Version, help="print the version, revision and Python version, and exit")
    return p


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


def apply_flags(args: SimpleNamespace, runtime: RuntimeSettings) -> RuntimeSettings:
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
