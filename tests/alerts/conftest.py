import shutil
import subprocess

import pytest

from lookout.alert_rules.catalog import build
from lookout.alert_rules.generate import write
from lookout.alert_rules.settings import OUTPUT_DIR, SYSTEMS

COMMITTED_RULES = [OUTPUT_DIR / f"{system}.yml" for system in SYSTEMS]


def promtool(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    if shutil.which("promtool") is None:
        pytest.fail("promtool is missing: scripts/install-deps installs the prometheus package")
    return subprocess.run(["promtool", *args], capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def default_signals():
    """The signals without the operator's overrides: what the hand-written cases assume."""
    return build(None)


@pytest.fixture(scope="session")
def default_rules(tmp_path_factory, default_signals):
    out = tmp_path_factory.mktemp("default-rules")
    write(out, default_signals)
    return [out / f"{system}.yml" for system in SYSTEMS]
