"""The committed JSON is exactly what the code generates, and every dashboard carries what
an operator relies on: a stable uid, the DO-NOT-EDIT marker, the variables, units."""
from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from .dashboard_json import GENERATED, ROOT, panels

from lookout.dashboards import dashboard_modules
from lookout.dashboards.__main__ import generate, stale
from lookout.dashboards.common import DO_NOT_EDIT
from lookout.systems import SYSTEMS
from tests.systems import rows

# Bookmarks, links between dashboards and Grafana's home setting rely on these: each system's
# in its folder (lookout/systems/<key>/tests/contract.py), the shared dashboards' here.
UIDS = {"wall": "lookout-wall", "lookout": "lookout-exporters",
        **{key: contract.DASHBOARD_UID for key, contract in rows("contract").items()}}
SYSTEM_DASHBOARDS = (*(s.key for s in SYSTEMS), "lookout")


def test_regenerating_changes_nothing():
    assert stale(generate(), GENERATED) == [], "run `python -m lookout.dashboards` and commit dashboards/generated/"


def test_check_flag_reports_an_edited_file(tmp_path):
    def check():
        return subprocess.run([sys.executable, "-m", "lookout.dashboards", "--check", "--out", str(tmp_path)],
                              cwd=ROOT, capture_output=True, text=True)
    assert subprocess.run([sys.executable, "-m", "lookout.dashboards", "--out", str(tmp_path)], cwd=ROOT).returncode == 0
    assert check().returncode == 0
    wall = tmp_path / "wall.json"
    wall.write_text(wall.read_text().replace('"15s"', '"1m"'))
    (tmp_path / "forgotten.json").write_text("{}")
    result = check()
    assert result.returncode == 1
    assert "wall.json" in result.stderr and "forgotten.json" in result.stderr
    assert f"{SYSTEMS[0].key}.json" not in result.stderr


def test_one_file_per_dashboard_with_a_stable_uid(dashboards):
    assert set(dashboards) == set(dashboard_modules()) == {"wall", "lookout", *(s.key for s in SYSTEMS)}
    assert {name: d["uid"] for name, d in dashboards.items()} == UIDS
    assert len({d["title"] for d in dashboards.values()}) == len(dashboards)


def test_every_dashboard_says_it_is_generated(dashboards):
    for name, d in dashboards.items():
        source = dashboard_modules()[name].replace(".", "/") + ".py"
        assert (ROOT / source).is_file(), source
        assert DO_NOT_EDIT.format(source=source) in d["description"], name
        assert "generated" in d["tags"], name


def test_every_query_goes_through_the_datasource_variable(dashboards):
    for name, d in dashboards.items():
        variables = {v["name"]: v for v in d["templating"]["list"]}
        assert variables["datasource"]["type"] == "datasource"
        assert variables["datasource"]["query"] == "prometheus"
        for p in panels(d):
            sources = [p["datasource"]] + [t["datasource"] for t in p.get("targets", [])]
            assert all(s == {"type": "prometheus", "uid": "${datasource}"} for s in sources), (name, p["title"])


def test_system_dashboards_select_job_and_instance(dashboards):
    for name in SYSTEM_DASHBOARDS:
        d = dashboards[name]
        variables = {v["name"]: v for v in d["templating"]["list"]}
        for var in ("job", "instance"):
            assert variables[var]["multi"] and variables[var]["includeAll"], (name, var)
            assert variables[var]["allValue"] == ".*"
        for p in panels(d):
            for t in p.get("targets", []):
                assert 'job=~"$job",instance=~"$instance"' in t["expr"], (name, p["title"], t["expr"])


def test_units_are_set(dashboards):
    for name, d in dashboards.items():
        for p in panels(d):
            if p["type"] in ("stat", "timeseries"):
                assert p["fieldConfig"]["defaults"]["unit"], (name, p["title"])


def test_panels_do_not_overlap_and_fit_the_grid(dashboards):
    for name, d in dashboards.items():
        taken = set()
        for p in d["panels"]:
            g = p["gridPos"]
            assert 0 <= g["x"] and g["x"] + g["w"] <= 24, (name, p["title"])
            cells = {(x, y) for x in range(g["x"], g["x"] + g["w"]) for y in range(g["y"], g["y"] + g["h"])}
            assert not cells & taken, f"{name}: {p['title']} overlaps another panel"
            taken |= cells
        ids = [p["id"] for p in d["panels"]]
        assert len(ids) == len(set(ids)), name


def test_generating_imports_no_exporter_and_no_client_library():
    """Dashboards name the exporters' states without importing them (issue 14: generating
    JSON loaded aiohttp, asyncpg, PyMySQL and psutil)."""
    probe = ("import sys; from lookout.dashboards.__main__ import generate; generate(); "
             "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in "
             "{'aiohttp', 'asyncpg', 'pymysql', 'psutil'} or m.startswith('lookout.exporters.') or (m.startswith('lookout.systems.') and '.exporter' in m))))")
    run = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == [], run.stdout


def test_a_state_list_that_is_not_a_literal_is_refused(tmp_path):
    from lookout.dashboards import vocabulary
    states = tmp_path / "states.py"
    states.write_text('GOOD = ("a", "b")\nBAD = tuple(["a"])\n')
    assert vocabulary.literal(states, "GOOD") == ("a", "b")
    with pytest.raises(ValueError, match="BAD is not a literal"):
        vocabulary.literal(states, "BAD")
    with pytest.raises(ValueError, match="no module-level MISSING"):
        vocabulary.literal(states, "MISSING")


def test_state_colours_follow_a_respelling_and_refuse_a_new_state():
    from lookout.dashboards.common import state_colours
    colours = {"normal": "green", "half_open": "yellow"}
    assert [(s.value, s.text, s.color) for s in state_colours(("Normal", "half-open"), colours)] == [
        (0, "Normal", "green"), (1, "half-open", "yellow")]
    with pytest.raises(KeyError, match="sleeping"):
        state_colours(("normal", "sleeping"), colours)


def test_no_panel_keys_a_series_by_a_volatile_identity(dashboards):
    """PM2 gives a re-created process a new pm_id (runbook 003's delete + start); container
    ids and pids change the same way. Rows, legends and groupings use names instead."""
    label = r"\b(pm_id|container_id|pid)\b"
    grouped = re.compile(rf"\b(by|on|group_left|group_right)\s*\([^)]*{label}")   # `without (pm_id)` is fine
    found = []
    for name, d in dashboards.items():
        for p in panels(d):
            targets = p.get("targets", [])
            if (any(grouped.search(t["expr"]) or re.search(rf"{{{{{label}}}}}", t.get("legendFormat") or "")
                    for t in targets) or re.search(label, json.dumps(p.get("transformations", [])))):
                found.append(f"{name} / {p['title']}")
    assert not found, found
