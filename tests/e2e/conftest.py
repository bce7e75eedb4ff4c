"""End-to-end: one native demo for the session (lookout/devstack/demo_stack.py), its pages timed."""
from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import psutil
import pytest

from lookout.devstack.demo_stack import Demo, strays

# Filled by the tests, printed at the end of the run and written to <pytest tmp>/e2e-latency.json.
RESULTS: dict[str, dict] = {}
TIMINGS: dict[str, float] = {}
REPORT_FILE: list[str] = []


@pytest.fixture(scope="session")
def e2e_results() -> dict:
    return RESULTS


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    workdir = Path(tempfile.mkdtemp(prefix="lookout-e2e-"))
    d = Demo(workdir)
    yield d
    d.stop()
    TIMINGS.update(d.timings)
    leftovers = strays(d.state["demo_id"])
    for line in leftovers:  # never leave them to the next test area, even when a test failed
        try:
            psutil.Process(int(line.split()[0])).kill()
        except psutil.NoSuchProcess:
            pass
    shutil.rmtree(workdir, ignore_errors=True)
    if RESULTS or TIMINGS:
        out = tmp_path_factory.getbasetemp() / "e2e-latency.json"
        out.write_text(json.dumps({"scenarios": RESULTS, "timings": TIMINGS}, indent=2))
        REPORT_FILE.append(str(out))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not RESULTS and not TIMINGS:
        return
    tr = terminalreporter
    tr.section("end-to-end: fault to page (native demo, profile fast)")
    tr.write_line(f"{'scenario':22} {'alert':26} {'page after':>10} {'budget':>8} {'resolved after':>15}")
    for name, r in RESULTS.items():
        if "alert" not in r:
            tr.write_line(f"{name}: {r}")
            continue
        resolved = f"{r['resolve_seconds']:.1f} s" if r.get("resolve_seconds") is not None else "-"
        tr.write_line(f"{name:22} {r['alert']:26} {r['detect_seconds']:8.1f} s {r['budget_seconds']:6.0f} s "
                      f"{resolved:>15}")
        if "stream" in r:
            tr.write_line(f"    stream: {', '.join(r['stream'])}")
    for key, value in TIMINGS.items():
        tr.write_line(f"{key}: {value:.1f}")
    for path in REPORT_FILE:
        tr.write_line(f"(also written to {path})")
