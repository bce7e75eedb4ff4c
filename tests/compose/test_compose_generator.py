"""lookout/compose: docker-compose.yml assembled from the shared template and the systems'
service.yml fragments, on small inputs written here (the real file: test_compose_config.py)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from lookout import compose
from lookout.systems import System

ROOT = Path(__file__).resolve().parents[2]

SHARED = """\
# what the template is
# ---
# the compose file's own header

x-lookout: &lookout
  image: lookout:local

services:
  # --- monitoring ---

  control:
    <<: *lookout
    command: ["python", "-m", "lookout.demo.control",
              @CONTROL_TARGETS@]

secrets:

volumes:
  prometheus-data:
"""

FRAGMENT = """\
# a comment that is not copied
x-control: http://{key}-sim:5000
services:
  # --- {key} ---

  {key}-sim:
    <<: *lookout
    command: ["python", "-m", "sim"]

  {key}-exporter:
    <<: *lookout
volumes:
  {key}-data:
"""


def system(key: str, port: int) -> System:
    return System(key=key, display_name=key.title(), port=port, demo_module="m", demo_config="m:f")


def test_fragments_are_spliced_in_registry_order_with_their_comments():
    a, b, c = system("alpha", 9901), system("beta", 9902), system("gamma_x", 9903)
    text = compose.compose_text(SHARED, {s: FRAGMENT.format(key=s.key) for s in (a, b, c)})
    assert text.startswith(compose.HEADER + "# the compose file's own header\n\nx-lookout:")
    assert "what the template is" not in text and "not copied" not in text and "x-control" not in text
    assert '''\
    command: ["python", "-m", "lookout.demo.control",
              "--alpha", "http://alpha-sim:5000", "--beta", "http://beta-sim:5000",
              "--gamma-x", "http://gamma_x-sim:5000"]
''' in text
    assert '"http://gamma_x-sim:5000"]\n\n  # --- alpha ---\n\n  alpha-sim:' in text
    assert "    <<: *lookout\n\n  # --- beta ---\n\n  beta-sim:" in text
    assert "\n\nsecrets:" not in text   # no system has one: the section is left out
    assert text.endswith("\n\nvolumes:\n  prometheus-data:\n  alpha-data:\n  beta-data:\n  gamma_x-data:\n")
    loaded = yaml.safe_load(text)
    assert list(loaded["services"]) == ["control", "alpha-sim", "alpha-exporter", "beta-sim", "beta-exporter",
                                        "gamma_x-sim", "gamma_x-exporter"]
    assert loaded["services"]["beta-sim"]["image"] == "lookout:local"   # the shared anchor resolves


@pytest.mark.parametrize("fragment, words", [
    (FRAGMENT.format(key="alpha") + "networks:\n  x:\n", "unknown sections ['networks']"),
    (FRAGMENT.format(key="alpha").replace("x-control: http://alpha-sim:5000\n", ""), "no x-control"),
    (FRAGMENT.format(key="alpha").replace("alpha-sim:\n", "control:\n"), "services defined twice: ['control']"),
    (FRAGMENT.format(key="alpha").replace('command: ["python", "-m", "sim"]', 'command: ["python"'), "not YAML"),
])
def test_a_bad_fragment_is_refused_naming_the_file_and_the_fault(fragment, words):
    with pytest.raises(ValueError) as err:
        compose.compose_text(SHARED, {system("alpha", 9901): fragment})
    assert words in str(err.value)
    if "sections" in words or "x-control" in words:
        assert "lookout/systems/alpha/service.yml" in str(err.value)


def test_check_names_the_stale_file_and_writing_mends_it(tmp_path):
    out = tmp_path / "docker-compose.yml"
    out.write_text((ROOT / "docker-compose.yml").read_text().replace("mem_limit: 1g", "mem_limit: 2g", 1))
    run = subprocess.run([sys.executable, "-m", "lookout.compose", "--check", "--out", str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 1 and f"{out} is out of date" in run.stderr, run.stderr
    assert subprocess.run([sys.executable, "-m", "lookout.compose", "--out", str(out)], cwd=ROOT,
                          capture_output=True, timeout=60).returncode == 0
    assert out.read_text() == (ROOT / "docker-compose.yml").read_text()
