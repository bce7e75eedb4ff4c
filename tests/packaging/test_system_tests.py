"""Each system keeps its own tests, and its rows of the shared tests, in its folder
(lookout/systems/<key>/tests/; tests/systems.py says what each file holds)."""
from __future__ import annotations

import importlib

import pytest

from lookout.systems import SYSTEMS, System
from tests.systems import folder, rows


@pytest.mark.parametrize("system", SYSTEMS, ids=lambda s: s.key)
def test_every_system_brings_its_own_rows(system: System) -> None:
    here = folder(system.key)
    assert (here / "__init__.py").is_file(), f"{here} is not a package"
    missing = [name for name in ("contract.py", "golden.py", "live.py") if not (here / name).is_file()]
    assert missing == [], f"{here} lacks {missing}: tests/systems.py says what each holds"
    contract = importlib.import_module(f"lookout.systems.{system.key}.tests.contract")
    assert contract.CONTRACT and contract.DOWN and contract.DASHBOARD_UID
    # A system's rows are about that system only.
    assert {row[1] for row in contract.CONTRACT.values()} == {system.key}


def test_a_missing_file_is_named():
    assert rows("no_such_rows", required=False) == {}
    with pytest.raises(ModuleNotFoundError, match=rf"lookout/systems/{SYSTEMS[0].key}/tests/no_such_rows.py"):
        rows("no_such_rows")
