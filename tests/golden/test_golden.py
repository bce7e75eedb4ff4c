"""The golden `/metrics` files are what the exporters render today from the recorded answers
(regenerate: `python -m tests.golden`), and every recorded answer names the application file it
mirrors, for every system of the registry. What the values mean is each system's own
test_golden.py (lookout/systems/<key>/tests/)."""
from __future__ import annotations

import re

import pytest

from . import golden_file, goldens

EXPORTERS = goldens()


@pytest.mark.parametrize("module", EXPORTERS, ids=lambda m: m.NAME)
def test_golden_metrics_are_up_to_date(module):
    golden = golden_file(module)
    assert golden.read_text() == module.render(), \
        f"{golden} is stale: run `python -m tests.golden` and review the diff"


@pytest.mark.parametrize("module", EXPORTERS, ids=lambda m: m.NAME)
def test_every_recorded_answer_names_the_file_it_mirrors(module):
    sources = module.sources()
    assert sources
    for name, s in sources.items():
        assert re.fullmatch(rf"{module.REPO}@[0-9a-f]{{40}}:(\S+\.(ts|js|go|py|yml)|\S*Dockerfile)", s["mirrors"]), (name, s)
        assert (module.folder() / s["file"]).is_file(), name
