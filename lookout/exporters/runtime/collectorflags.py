"""`--collector.<name>` / `--no-collector.<name>`: turn a collector on or off from the command
line, over the configuration file's switches, as node_exporter does.

An exporter declares the collectors it can build (`ExporterSpec.collectors`) and, for those the
file can switch, the dotted path of that boolean in its settings (`ExporterSpec.switches`, e.g.
`{"host": "host.enabled"}`). `--collector.X` sets the switch before the collectors are built;
a collector enabled by a section of the file rather than a switch (the sync server's `health:`)
must have that section, or the exporter exits 2 naming the flag. `--no-collector.X` leaves X out
of what is built. A critical collector (its success is `<ns>_up`) cannot be turned off.
"""
from __future__ import annotations

from .config import ConfigError

TYPE_CHECKING = False  # typing's own flag: argparse is imported only for --help and usage errors
if TYPE_CHECKING:
    import argparse
    from typing import Any, Iterable

_DEST = "collector."


def add_collector_flags(parser: argparse.ArgumentParser, names: Iterable[str], switches: dict[str, str]) -> None:
    import argparse  # flags.parse calls this only when argparse answers

    names = list(names)
    if not names:
        return
    group = parser.add_argument_group("collectors", "turn a collector on or off over the configuration file")
    for name in names:
        where = f"config {switches[name]}" if name in switches else "default: on when configured"
        group.add_argument(f"--collector.{name}", dest=_DEST + name, action=argparse.BooleanOptionalAction,
                           default=None, help=f"the {name} collector ({where})")


def chosen(args: Any) -> dict[str, bool]:
    """{collector name: on/off} for the flags given on the command line."""
    return {key[len(_DEST):]: value for key, value in vars(args).items()
            if key.startswith(_DEST) and value is not None}


def apply_switches(choices: dict[str, bool], switches: dict[str, str], domain: Any) -> None:
    """Write each given flag over the file's switch (before the collectors are built)."""
    for name, on in choices.items():
        path = switches.get(name)
        if path is None:
            continue
        *parents, leaf = path.split(".")
        target = domain
        for part in parents:
            target = getattr(target, part, None)
            if target is None:  # the section is absent (None): nothing to switch
                if on:
                    raise ConfigError(f"--collector.{name}",
                                      f"needs the `{'.'.join(parents)}` section of the configuration file")
                break
        else:
            setattr(target, leaf, on)


def select(choices: dict[str, bool], collectors: list, namespace: str) -> list:
    """The built collectors without those turned off; raises ConfigError for a collector turned
    on that the configuration cannot build, or a critical one turned off."""
    built = {c.name for c in collectors}
    for name, on in choices.items():
        if on and name not in built:
            raise ConfigError(f"--collector.{name}", "its section is missing from the configuration file "
                                                     f"(docs/exporters/{namespace}.md)")
    for c in collectors:
        if choices.get(c.name) is False and c.critical:
            raise ConfigError(f"--no-collector.{c.name}", f"cannot be turned off: it decides {namespace}_up")
    return [c for c in collectors if choices.get(c.name) is not False]
