"""flags.parse reads a plain command line without argparse (issue 24: start-up) and must give
exactly what argparse gives for it; every other command line is argparse's to answer."""
from __future__ import annotations

import pytest

from lookout.exporters.runtime import flags
from lookout.exporters.runtime.collectorflags import add_collector_flags

COLLECTORS = ("processes", "health", "host")
SWITCHES = {"host": "host.enabled"}

PLAIN = [
    [], ["--config", "a.yml"], ["--config.file=a.yml", "--check-config"], ["--config", "a", "--config", "b"],
    ["--web.listen-address", ":1", "--listen=:2", "--web.config.file", "w", "--web-config=x"],
    ["--web.telemetry-path", "/m", "--log.level", "debug", "--log.format=json"], ["--log.level=warn"],
    ["--collector.host", "--no-collector.health", "--no-collector.host"], ["--config="], ["--config=-x"],
    ["--web.telemetry-path", "/x?"],
]


def argparse_answer(argv):
    parser = flags.parser_for("lookout-x", "X", 9999)
    add_collector_flags(parser, COLLECTORS, SWITCHES)
    return vars(parser.parse_args(argv))


@pytest.mark.parametrize("argv", PLAIN, ids=" ".join)
def test_a_plain_command_line_reads_as_argparse_reads_it(argv):
    plain = flags._plain(argv, flags.standard_flags(9999), COLLECTORS)
    assert plain is not None
    assert vars(plain) == argparse_answer(argv)
    assert vars(flags.parse("lookout-x", "X", 9999, COLLECTORS, SWITCHES, argv)) == argparse_answer(argv)


@pytest.mark.parametrize("argv", [
    ["--help"], ["-h"], ["--version"], ["--web.listen", ":1"], ["--config"], ["--config", "--check-config"],
    ["--log.level", "loud"], ["--log.level=loud"], ["--check-config=1"], ["--collector.nope"],
    ["--no-collector.host=0"], ["positional"], ["--"], ["--web.telemetry-path", "-x"], [""],
], ids=" ".join)
def test_anything_else_is_left_to_argparse(argv):
    assert flags._plain(argv, flags.standard_flags(9999), COLLECTORS) is None


def test_a_bad_value_exits_2_as_argparse_does(capsys):
    with pytest.raises(SystemExit) as exit:
        flags.parse("lookout-x", "X", 9999, COLLECTORS, SWITCHES, ["--log.level", "loud"])
    assert exit.value.code == 2
    assert "argument --log.level: invalid choice: 'loud'" in capsys.readouterr().err
