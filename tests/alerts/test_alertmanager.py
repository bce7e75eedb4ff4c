"""prometheus/alertmanager.yml: amtool's checks, then the routes and inhibitions for real,
through Debian's Alertmanager and a webhook receiver written here."""
from __future__ import annotations

import shutil
import subprocess
import time

import pytest
import yaml

from lookout.alert_rules.catalog import signal
from lookout.alert_rules.settings import HERE
from lookout.devstack.alertmanager import Alertmanager, WebhookRecorder, shortened_config
from lookout.devstack.proc import wait_until
from .rulecases import FIXTURES

CONFIG = HERE.parents[1] / "prometheus" / "alertmanager.yml"
PAGER_KEY = "pd-routing-key-4f1e9c"
# What a notification needs to say, and what it must not: the labels Prometheus attaches.
OWN_LABELS = {"alertname", "severity", "system", "role"}


def amtool(*args: str) -> subprocess.CompletedProcess:
    if shutil.which("amtool") is None:
        pytest.fail("amtool is missing: scripts/install-deps installs prometheus-alertmanager")
    return subprocess.run(["amtool", *args], capture_output=True, text=True, timeout=60)


def test_amtool_check_config():
    res = amtool("check-config", str(CONFIG))
    assert res.returncode == 0, res.stdout + res.stderr
    assert "2 inhibit rules" in res.stdout


@pytest.mark.parametrize("labels, receiver", [
    ({"severity": "critical", "system": "nectar", "alertname": "NectarDatabaseDown"}, "pager"),
    ({"severity": "critical", "system": "exporter", "alertname": "ExporterDown"}, "pager"),
    ({"severity": "warning", "system": "ticks", "alertname": "TickRateLow"}, "chat"),
    ({"severity": "warning", "system": "tburn", "alertname": "TburnHeapHigh"}, "chat"),
    # No severity is a rule bug (the lint test forbids it); it must still reach people.
    ({"system": "pm2", "alertname": "Unlabelled"}, "chat"),
])
def test_amtool_routes(labels, receiver):
    args = [f"{k}={v}" for k, v in labels.items()]
    res = amtool("config", "routes", "test", f"--config.file={CONFIG}", f"--verify.receivers={receiver}", *args)
    assert res.returncode == 0, f"{labels} routed to {res.stdout.strip()}, expected {receiver}"


def test_inhibition_equal_labels_cover_every_alert_identity():
    """Critical silences warning only on the same thing: every identity label an alert can
    carry must be in the rule's `equal`, or one container's critical would hide another's warning."""
    rule = next(r for r in yaml.safe_load(CONFIG.read_text())["inhibit_rules"]
                if r["source_matchers"] == ['severity="critical"'])
    identity = {k for fx in FIXTURES.values() for k in fx.labels} - OWN_LABELS - {"exporter"}
    assert identity <= set(rule["equal"]), identity - set(rule["equal"])


def _alert(key: str, severity: str, instance: str) -> dict:
    """An alert as the generated rule for `key` labels it."""
    sig = signal(key)
    labels = {"alertname": sig.alert, "severity": severity, "system": sig.system,
              "instance": instance, "job": sig.system}
    if sig.role:
        labels["role"] = sig.role
    return {"labels": labels, "annotations": {"summary": sig.summary}}


@pytest.fixture
def am(tmp_path):
    hooks = WebhookRecorder()
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "pager-key").write_text(PAGER_KEY + "\n")
    config = shortened_config(yaml.safe_load(CONFIG.read_text()),
                              {"pager": hooks.url("/pager"), "chat": hooks.url("/chat")})
    manager = Alertmanager(config, tmp_path)
    try:
        manager.wait_ready()
        yield manager, hooks
    finally:
        manager.stop()
        hooks.stop()


def _names(posts: list[dict]) -> list[tuple[str, str, str]]:
    return sorted((a["labels"]["alertname"], a["labels"]["severity"], a["labels"]["instance"])
                  for p in posts for a in p["body"]["alerts"])


def _settle(manager: Alertmanager, inhibited: int) -> None:
    """Until Alertmanager reports `inhibited` alerts muted, then two more group waits, so a
    notification that should not come has had every chance to."""
    wait_until(lambda: sum(bool(a["status"]["inhibitedBy"]) for a in manager.alerts()) == inhibited,
               timeout=15, what=f"{inhibited} inhibited alerts")
    time.sleep(2.5)


def test_database_down_pages_once_and_silences_the_stall(am):
    manager, hooks = am
    manager.post([_alert("nectar_database_up", "critical", "nectar-1:9104"),
                  _alert("nectar_sync_progress", "critical", "nectar-1:9104"),
                  _alert("nectar_reconnects", "warning", "nectar-1:9104")])
    wait_until(lambda: hooks.posts("/pager"), timeout=15, what="a page")
    _settle(manager, inhibited=2)

    pages = hooks.posts("/pager")
    assert _names(pages) == [("NectarDatabaseDown", "critical", "nectar-1:9104")], _names(pages)
    assert pages[0]["headers"]["Authorization"] == f"Bearer {PAGER_KEY}"
    assert hooks.posts("/chat") == []


def test_down_silences_symptoms_of_its_own_instance_only(am):
    manager, hooks = am
    manager.post([_alert("ticks_container_running", "critical", "ticks-1:9105"),
                  _alert("ticks_last_tick_age", "critical", "ticks-1:9105"),
                  # Another collector's stale ticks are not explained by this one being down.
                  _alert("ticks_last_tick_age", "critical", "ticks-2:9105"),
                  # Not a symptom: disk usage is its own problem.
                  _alert("ticks_disk_usage", "warning", "ticks-1:9105")])
    wait_until(lambda: len(_names(hooks.posts("/pager"))) >= 2 and hooks.posts("/chat"),
               timeout=15, what="the page and the chat message")
    _settle(manager, inhibited=1)

    assert _names(hooks.posts("/pager")) == [("CollectorDown", "critical", "ticks-1:9105"),
                                             ("TicksStale", "critical", "ticks-2:9105")]
    assert _names(hooks.posts("/chat")) == [("DiskUsageHigh", "warning", "ticks-1:9105")]
    assert "Authorization" not in hooks.posts("/chat")[0]["headers"]


def test_critical_silences_the_same_alerts_warning(am):
    manager, hooks = am
    manager.post([_alert("nectar_memory", "warning", "nectar-1:9104"),
                  _alert("nectar_memory", "critical", "nectar-1:9104"),
                  # Same alert, other instance: still warned about.
                  _alert("nectar_memory", "warning", "nectar-2:9104")])
    wait_until(lambda: hooks.posts("/pager") and hooks.posts("/chat"), timeout=15, what="page and chat")
    _settle(manager, inhibited=1)

    assert _names(hooks.posts("/pager")) == [("NectarMemoryHigh", "critical", "nectar-1:9104")]
    assert _names(hooks.posts("/chat")) == [("NectarMemoryHigh", "warning", "nectar-2:9104")]
