"""The runtime sets the cyclic garbage collector for serving before it serves (issue 24):
start-up's objects frozen, young collections about once a scrape. Not a test of time: the
exporter's real main runs in a child process up to the point where it would serve."""
from __future__ import annotations

import json
import subprocess
import sys

import yaml

from lookout.devstack.proc import ROOT

# Stands in for the runtime's serving loop (main._serve): records the collector's settings at
# the moment serving would begin, instead of serving.
HARNESS = r"""
import gc, json, sys
from lookout.exporters.runtime import main as runtime_main
def serve(*args):
    print(json.dumps({"threshold": gc.get_threshold(), "frozen": gc.get_freeze_count(), "enabled": gc.isenabled()}))
runtime_main._serve = serve
from lookout.exporters.start import pm2 as main  # the console script's entry point (setup.py)
sys.argv = ["lookout-pm2", "--config", sys.argv[1], "--web.listen-address", "127.0.0.1:0"]
main()
"""


def test_the_runtime_freezes_start_up_and_raises_the_young_threshold_before_serving(tmp_path):
    cfg = tmp_path / "pm2.yml"
    cfg.write_text(yaml.safe_dump({"daemon": {"home": str(tmp_path / "pm2")}}))
    done = subprocess.run([sys.executable, "-c", HARNESS, str(cfg)], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    # CPython's defaults are (700, 10, 10) and nothing frozen.
    assert seen["threshold"] == [10_000, 10, 10]
    assert seen["frozen"] > 1000  # the modules, classes and configuration built at start-up
    assert seen["enabled"]  # the console script starts with it off (lookout/exporters/start.py)
