"""How many pytest-xdist workers `./scripts/test` gets (`-n auto`, tests/pyramid.py): one per
core when the run cannot select a system-tier test, none (a serial run) when it may, because
the system tier's demo and production timings assume the machine to themselves."""
from __future__ import annotations

import os
from types import SimpleNamespace

import pytest

from tests.pyramid import ROOT, pytest_xdist_auto_num_workers

CORES = len(os.sched_getaffinity(0))


def config(markexpr: str = "", args: tuple[str, ...] = ()):
    source = pytest.Config.ArgsSource.ARGS if args else pytest.Config.ArgsSource.TESTPATHS
    return SimpleNamespace(option=SimpleNamespace(markexpr=markexpr), args_source=source, args=list(args),
                           invocation_params=SimpleNamespace(dir=ROOT))


@pytest.mark.parametrize("markexpr", ["unit", "integration", "unit or integration", "not system",
                                      "integration and not system"])
def test_a_run_without_the_system_tier_gets_a_worker_per_core(markexpr):
    assert pytest_xdist_auto_num_workers(config(markexpr)) == CORES


@pytest.mark.parametrize("markexpr", ["", "system", "unit or system", "not unit", "not integration"])
def test_a_run_that_may_include_the_system_tier_stays_serial(markexpr):
    assert pytest_xdist_auto_num_workers(config(markexpr)) == 0


@pytest.mark.parametrize("args, workers", [
    (("tests/runtime",), CORES),
    (("lookout/systems/pm2/tests/test_daemon.py::test_hung_daemon_times_out_then_recovers",), CORES),
    (("tests/e2e",), 0),
    (("tests/ha/test_mixin.py",), 0),
    (("tests",), 0),                        # contains the system folders
    (("tests/runtime", "tests/e2e"), 0),
])
def test_paths_outside_the_system_folders_get_workers(args, workers):
    assert pytest_xdist_auto_num_workers(config("", args)) == workers


def test_a_mark_expression_excluding_the_system_tier_wins_over_its_paths():
    assert pytest_xdist_auto_num_workers(config("not system", ("tests/e2e",))) == CORES
