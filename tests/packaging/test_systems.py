"""The registry agrees with what each system's own code and the alert catalog say."""
from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

from lookout.systems import SELF_SYSTEM, SYSTEMS, System, by_key

CATALOG = Path("/work/shared/alert-catalog.md")


@pytest.mark.parametrize("system", SYSTEMS, ids=lambda s: s.key)
def test_exporter_spec_matches_registry(system: System) -> None:
    spec = importlib.import_module(system.exporter_module).EXPORTER
    assert spec.namespace == system.namespace
    assert spec.default_port == system.port


def test_keys_are_the_catalogs_system_labels() -> None:
    if not CATALOG.exists():
        pytest.skip("the alert catalog is not on this machine")
    # The catalog's sentence listing the `system` label values.
    line = next(l for l in CATALOG.read_text().splitlines() if "a `system` label (" in l)
    labels = re.findall(r"`([a-z0-9_]+)`", line.split("a `system` label (", 1)[1].split(")", 1)[0])
    # Every label the catalog promises has its system (a system added since may not be in it yet).
    assert set(labels) <= {s.key for s in SYSTEMS} | {SELF_SYSTEM}
    assert SELF_SYSTEM in labels


def test_registry_imports_nothing_heavy() -> None:
    code = ("import sys, lookout.systems; "
            "print(sorted(m for m in sys.modules if m.startswith(('lookout.', 'aiohttp', 'asyncpg', 'pymysql', 'psutil', 'grafana_foundation_sdk'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = eval(out)
    # lookout.records: the registry's record classes (a few KB, no dependency of its own)
    assert loaded and all(m.startswith("lookout.systems") or m == "lookout.records" for m in loaded), loaded


def test_by_key_names_the_known_keys() -> None:
    assert by_key("pm2").display_name == "Sync server"
    with pytest.raises(KeyError, match="nectar"):
        by_key("sync_server")


def test_bad_key_refused() -> None:
    with pytest.raises(ValueError, match="lower-case identifier"):
        System(key="sync-server", display_name="x", port=1, demo_module="x", demo_config="x:y")


def test_cli_lists_every_system() -> None:
    out = subprocess.run([sys.executable, "-m", "lookout.cli", "systems"], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert [line.split()[:2] for line in out] == [[s.key, str(s.port)] for s in SYSTEMS]


def test_scenarios_name_registered_systems_and_targets() -> None:
    from lookout.demo.scenarios import SCENARIOS, TARGETS
    assert TARGETS == tuple(s.demo_target for s in SYSTEMS)
    for s in SCENARIOS.values():
        assert s.system in {x.key for x in SYSTEMS}, s.name
        assert not s.target or s.target in TARGETS, s.name
