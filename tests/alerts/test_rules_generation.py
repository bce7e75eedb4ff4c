"""`python -m lookout.alert_rules`: the committed files are what it generates, overrides move the
thresholds, and a bad override stops it with the key named and nothing written."""
from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
import yaml

from lookout.alert_rules.catalog import build
from lookout.alert_rules.generate import HEADER, stale
from lookout.alert_rules.settings import ALERTMANAGER_FILE, HERE, OUTPUT_DIR, SYSTEMS
from .conftest import COMMITTED_RULES, promtool
from .rulecases import compile_explicit, write_test_file

ROOT = HERE.parents[1]


def generate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lookout.alert_rules", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


def test_regenerating_changes_nothing():
    assert stale(OUTPUT_DIR, build()) == []
    res = generate("--check")
    assert res.returncode == 0, res.stderr


def test_each_file_says_it_is_generated():
    for system, path in zip(SYSTEMS, COMMITTED_RULES):
        # The header names the signals module the file comes from, a file that exists.
        source = ("lookout/alert_rules/signals/exporter.py" if system == "exporter"
                  else f"lookout/systems/{system}/signals.py")
        assert (ROOT / source).is_file()
        assert path.read_text().startswith(HEADER.format(source=source))


def test_check_flags_a_hand_edit(tmp_path):
    for path in COMMITTED_RULES:
        shutil.copy(path, tmp_path)
    edited = tmp_path / "ticks.yml"
    edited.write_text(edited.read_text().replace("ticks:table_ticks_per_minute:fed < 150", "ticks:table_ticks_per_minute:fed < 140"))
    res = generate("--check", "--out", str(tmp_path))
    assert res.returncode == 1
    assert "ticks.yml is out of date" in res.stderr and "nectar.yml" not in res.stderr


def _rules(path) -> dict:
    return {(r["alert"], r["labels"]["severity"]): r for g in yaml.safe_load(path.read_text())["groups"]
            for r in g["rules"] if "alert" in r}


def test_an_override_moves_only_its_threshold(tmp_path):
    thresholds = tmp_path / "thresholds.yml"
    thresholds.write_text("nectar_memory:\n  warning: 85GiB\n  for_warning: 15m\n"
                          "ticks_disk_usage:\n  critical: 97%\n")
    out = tmp_path / "rules"
    out.mkdir()
    res = generate("--thresholds", str(thresholds), "--out", str(out))
    assert res.returncode == 0, res.stderr

    warning = _rules(out / "nectar.yml")[("NectarMemoryHigh", "warning")]
    assert warning["expr"] == f"nectar_process_resident_memory_bytes >= {85 * 1024**3}"
    assert warning["for"] == "15m" and "alert at 85 GiB" in warning["annotations"]["description"]
    critical = _rules(out / "nectar.yml")[("NectarMemoryHigh", "critical")]
    assert critical["expr"] == f"nectar_process_resident_memory_bytes >= {95 * 1024**3}"
    assert _rules(out / "ticks.yml")[("DiskUsageHigh", "critical")]["expr"] == "ticks_disk_used_ratio > 0.97"
    for name in ("pm2.yml", "tburn.yml", "exporter.yml"):
        assert (out / name).read_text() == (OUTPUT_DIR / name).read_text()


def test_config_sets_selectors_and_links(tmp_path):
    """thresholds.yml's _config: ExporterDown's job selector, the runbook base, the sync
    server's process name (its alerts' `name`), and nothing else changes."""
    thresholds = tmp_path / "thresholds.yml"
    thresholds.write_text("_config:\n  exporter_jobs: lookout-.*\n  runbook_url_base: https://docs.example/rb.md\n"
                          "  sync_server_process: rss-sync\n")
    out = tmp_path / "rules"
    out.mkdir()
    res = generate("--thresholds", str(thresholds), "--out", str(out), "--alertmanager", str(tmp_path / "am.yml"))
    assert res.returncode == 0, res.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{s}.yml" for s in SYSTEMS)
    down = _rules(out / "exporter.yml")[("ExporterDown", "critical")]
    assert down["expr"] == 'up{job=~"lookout-.*"} < 1'
    assert down["annotations"]["runbook_url"] == "https://docs.example/rb.md#exporterdown"
    assert _rules(out / "pm2.yml")[("SyncQueueDepthHigh", "critical")]["labels"]["name"] == "rss-sync"
    # The model (and so the Alertmanager config) does not depend on these.
    assert (tmp_path / "am.yml").read_text() == ALERTMANAGER_FILE.read_text()


@pytest.mark.parametrize("text, key", [
    ("nectar_memroy:\n  warning: 1\n", "nectar_memroy"),
    ("nectar_memory:\n  warn: 1\n", "nectar_memory.warn"),
    ("nectar_memory:\n  warning: lots\n", "nectar_memory.warning"),
    ("nectar_memory:\n  warning: true\n", "nectar_memory.warning"),
    ("nectar_memory:\n  warning: 99GiB\n", "nectar_memory.warning"),  # past critical
    ("ticks_rate:\n  critical: 200\n", "ticks_rate.critical"),        # above warning, for a "below" alert
    ("nectar_memory:\n  for_warning: 10 minutes\n", "nectar_memory.for_warning"),
    ("tidb_uptime:\n  critical: 60\n", "tidb_uptime.critical"),          # it has no critical level
    ("ticks_rate:\n  warning: 150GiB\n", "ticks_rate.warning"),          # not a byte signal
    ("nectar_sync_speed:\n  per_era:\n    alonzoo: 150\n", "nectar_sync_speed.per_era.alonzoo"),
    ("nectar_sync_stalled: 5\n", "nectar_sync_stalled"),
    ("- nectar_memory\n", "(top level)"),
    ("nectar_memory: {warning: [1\n", "(top level)"),
    ("_config:\n  exporter_job: x\n", "_config.exporter_job"),
    ("_config:\n  runbook_url_base: 3\n", "_config.runbook_url_base"),
    ("_config:\n  sync_server_process: 'a\"b'\n", "_config.sync_server_process"),
    ("_config: [1]\n", "_config"),
])
def test_a_bad_override_names_the_key_and_writes_nothing(tmp_path, text, key):
    thresholds = tmp_path / "thresholds.yml"
    thresholds.write_text(text)
    out = tmp_path / "rules"
    out.mkdir()
    res = generate("--thresholds", str(thresholds), "--out", str(out))
    assert res.returncode == 2
    assert f"{key}:" in res.stderr, res.stderr
    assert "Traceback" not in res.stderr
    assert list(out.iterdir()) == []


PER_ERA_CASE = """
- name: NectarSyncSlow with Alonzo's minimum raised to 150 blocks/s
  interval: 1m
  input_series:
    - series: 'nectar_chain_block{instance="alonzo:9861",job="nectar"}'
      values: '0+7200x40'
    - series: 'nectar_chain_lag_slots{instance="alonzo:9861",job="nectar"}'
      values: '100000+0x40'
    - series: 'nectar_chain_era{instance="alonzo:9861",job="nectar",nectar_chain_era="alonzo"}'
      values: '1+0x40'
    - series: 'nectar_chain_block{instance="babbage:9861",job="nectar"}'
      values: '0+7200x40'
    - series: 'nectar_chain_lag_slots{instance="babbage:9861",job="nectar"}'
      values: '100000+0x40'
    - series: 'nectar_chain_era{instance="babbage:9861",job="nectar",nectar_chain_era="babbage"}'
      values: '1+0x40'
  alert_rule_test:
    # 120 blocks/s: slow for Alonzo (150), fine for Babbage (the default 100).
    - eval_time: 31m
      alertname: NectarSyncSlow
      exp_alerts:
        - signal: nectar_sync_speed
          value: 120
          exp_labels: {severity: warning, instance: "alonzo:9861", job: nectar}
"""


def test_per_era_minimum_sync_speed(tmp_path):
    thresholds = tmp_path / "thresholds.yml"
    thresholds.write_text("nectar_sync_speed:\n  per_era:\n    alonzo: 150\n")
    res = generate("--thresholds", str(thresholds), "--out", str(tmp_path))
    assert res.returncode == 0, res.stderr
    signals = {s.key: s for s in build(thresholds)}
    tests = tmp_path / "per-era-tests.yml"
    write_test_file(tests, [tmp_path / f"{s}.yml" for s in SYSTEMS],
                    compile_explicit(yaml.safe_load(PER_ERA_CASE), signals))
    res = promtool("test", "rules", str(tests))
    assert res.returncode == 0, res.stdout + res.stderr
