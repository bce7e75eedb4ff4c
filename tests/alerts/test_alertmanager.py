"""prometheus/alertmanager.yml: amtool's checks, then the routes and inhibitions for real,
through Debian's Alertmanager and a webhook receiver written here."""
from __future__ import annotations

import dataclasses
import shutil
import subprocess
import time

import pytest
import yaml

from lookout.alert_rules import routing
from lookout.alert_rules import catalog
from lookout.alert_rules.model import Effect
from lookout.alert_rules.settings import ALERTMANAGER_FILE
from lookout.devstack.alertmanager import Alertmanager, WebhookRecorder, shortened_config
from lookout.devstack.proc import wait_until
from .rulecases import fixtures

CONFIG = ALERTMANAGER_FILE
PAGER_KEY = "pd-routing-key-4f1e9c"
# What a notification needs to say, and what it must not: the labels Prometheus attaches.
OWN_LABELS = {"alertname", "severity", "system", "role"}

SIGNALS = catalog.build()


def signal(key: str):
    return catalog.signal(key, SIGNALS)


def amtool(*args: str) -> subprocess.CompletedProcess:
    if shutil.which("amtool") is None:
        pytest.fail("amtool is missing: scripts/install-deps installs prometheus-alertmanager")
    return subprocess.run(["amtool", *args], capture_output=True, text=True, timeout=60)


def test_amtool_check_config():
    res = amtool("check-config", str(CONFIG))
    assert res.returncode == 0, res.stdout + res.stderr
    assert "SUCCESS" in res.stdout and "3 receivers" in res.stdout


def test_the_config_is_generated_from_the_model():
    """A hand edit of the inhibitions fails here; `python -m lookout.alert_rules` restores it."""
    assert CONFIG.read_text().startswith("# DO NOT EDIT")
    assert CONFIG.read_text() == routing.render(SIGNALS)


def test_editing_one_config_leaves_the_next_unchanged():
    """The demo and the production-timing test point receivers at their own webhooks; once
    that edited the generator's own tables, and deploy/ha/alertmanager.yml, generated later
    in the same process, came out with a recorder's URL (CI run of stop 18)."""
    first = routing.config(SIGNALS)
    first["receivers"][0]["webhook_configs"][0]["url"] = "http://127.0.0.1:1/elsewhere"
    first["route"]["routes"].clear()
    assert routing.render(SIGNALS) == CONFIG.read_text()


def test_a_cause_needs_its_members_on_every_effect(default_signals):
    """CollectorDown is about a container; a volume's alert has none, so it cannot be its effect."""
    down = next(s for s in default_signals if s.key == "ticks_container_running")
    broken = [dataclasses.replace(s, explains=(*s.explains, Effect("DiskUsageHigh"))) if s is down else s
              for s in default_signals]
    with pytest.raises(ValueError, match="CollectorDown explains DiskUsageHigh, which lacks.*container"):
        routing.inhibit_rules(broken)


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
    identity = {k for fx in fixtures().values() for k in fx.labels} - OWN_LABELS - {"pm_id"}
    assert identity <= set(rule["equal"]), identity - set(rule["equal"])


def _alert(key: str, severity: str, instance: str, **members: str) -> dict:
    """An alert as the generated rule for `key` labels it, about the member `members`."""
    sig = signal(key)
    labels = {"alertname": sig.alert, "severity": severity, "system": sig.system,
              # The self-alerts come from the exporter's own job.
              "instance": instance, "job": members.get("exporter", sig.system), **sig.labels, **members}
    if sig.role:
        labels["role"] = sig.role
    return {"labels": labels, "annotations": {"summary": sig.summary}}


@pytest.fixture
def am(tmp_path):
    hooks = WebhookRecorder()
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "pager-key").write_text(PAGER_KEY + "\n")
    config = shortened_config(yaml.safe_load(CONFIG.read_text()),
                              {"pager": hooks.url("/pager"), "chat": hooks.url("/chat"),
                               "remediate": hooks.url("/remediate")})
    manager = Alertmanager(config, tmp_path)
    try:
        manager.wait_ready()
        yield manager, hooks
    finally:
        manager.stop()
        hooks.stop()


def _names(posts: list[dict]) -> list[tuple[str, ...]]:
    """(alertname, severity, instance, member label values...) of every alert notified."""
    def key(labels: dict) -> tuple[str, ...]:
        members = sorted(v for k, v in labels.items() if k not in OWN_LABELS | {"instance", "job"})
        return (labels["alertname"], labels["severity"], labels["instance"], *members)
    return sorted({key(a["labels"]) for p in posts for a in p["body"]["alerts"]})


def _settle(manager: Alertmanager, inhibited: int) -> None:
    """Until Alertmanager reports `inhibited` alerts muted, then two more group waits, so a
    notification that should not come has had every chance to."""
    wait_until(lambda: sum(bool(a["status"]["inhibitedBy"]) for a in manager.alerts()) == inhibited,
               timeout=15, what=f"{inhibited} inhibited alerts")
    time.sleep(2.5)


def test_database_down_pages_once_and_silences_what_it_explains(am):
    manager, hooks = am
    n = "nectar-1:9861"
    manager.post([_alert("nectar_database_up", "critical", n),
                  _alert("nectar_sync_progress", "critical", n),
                  _alert("nectar_reconnects", "warning", n),
                  # Its database collectors fail because of it; the log collector's failure does not.
                  _alert("exporter_collector_success", "warning", n, exporter="nectar", collector="chain"),
                  # ping is the collector nectar_up reads (lookout/systems/nectar/exporter/__init__.py): the
                  # same fact as the page, seen in chat in the native demo's tidb-down.
                  _alert("exporter_collector_success", "warning", n, exporter="nectar", collector="ping"),
                  _alert("exporter_collector_success", "warning", n, exporter="nectar", collector="logfile")])
    wait_until(lambda: hooks.posts("/pager") and hooks.posts("/chat"), timeout=15, what="a page and a chat message")
    _settle(manager, inhibited=4)

    pages = hooks.posts("/pager")
    assert _names(pages) == [("NectarDatabaseDown", "critical", n)], _names(pages)
    assert pages[0]["headers"]["Authorization"] == f"Bearer {PAGER_KEY}"
    assert _names(hooks.posts("/chat")) == [("ExporterCollectorFailing", "warning", n, "logfile", "nectar")]
    assert "Authorization" not in hooks.posts("/chat")[0]["headers"]


def test_tburn_down_silences_its_health_collector_failing(am):
    # tburn_up is the health collector's success (docs/exporters/tburn.md): the demo's
    # tburn-down sent ExporterCollectorFailing{collector="health"} to chat beside the page.
    manager, hooks = am
    t = "tburn-1:9864"
    manager.post([_alert("tburn_up", "critical", t),
                  _alert("exporter_collector_success", "warning", t, exporter="tburn", collector="health"),
                  _alert("exporter_collector_success", "warning", t, exporter="tburn", collector="pipeline")])
    wait_until(lambda: hooks.posts("/pager") and hooks.posts("/chat"), timeout=15, what="a page and a chat message")
    _settle(manager, inhibited=1)
    assert _names(hooks.posts("/pager")) == [("TburnDown", "critical", t)]
    assert _names(hooks.posts("/chat")) == [("ExporterCollectorFailing", "warning", t, "pipeline", "tburn")]


def test_a_process_down_silences_its_own_symptoms_not_another_processes(am):
    """Issue 13: PM2ProcessDown of a deliberately stopped dev-worker silenced the sync server's page."""
    manager, hooks = am
    p = "pm2-1:9863"
    manager.post([_alert("pm2_process_up", "critical", p, name="dev-worker"),
                  _alert("pm2_sync_queue_depth", "critical", p),
                  _alert("pm2_sync_api_errors", "warning", p)])
    wait_until(lambda: len(_names(hooks.posts("/pager"))) >= 2 and hooks.posts("/chat"),
               timeout=15, what="two pages and a chat message")
    _settle(manager, inhibited=0)
    assert _names(hooks.posts("/pager")) == [("PM2ProcessDown", "critical", p, "dev-worker"),
                                             ("SyncQueueDepthHigh", "critical", p, "rss-sync-server")]
    assert _names(hooks.posts("/chat")) == [("SyncApiErrorsHigh", "warning", p, "rss-sync-server")]

    # The sync server's own process going down explains both.
    manager.post([_alert("pm2_process_up", "critical", p, name="rss-sync-server")])
    wait_until(lambda: len(_names(hooks.posts("/pager"))) >= 3, timeout=15, what="the third page")
    _settle(manager, inhibited=2)
    assert {a["labels"]["alertname"] for a in manager.alerts() if a["status"]["inhibitedBy"]} == {
        "SyncQueueDepthHigh", "SyncApiErrorsHigh"}


def test_a_container_down_silences_its_own_symptoms_only(am):
    """Issue 13: CollectorDown of one container silenced TicksStale of a table another feeds."""
    manager, hooks = am
    t = "ticks-1:9862"
    manager.post([_alert("ticks_container_running", "critical", t, container="collector-a"),
                  _alert("ticks_errors", "critical", t, container="collector-a"),
                  _alert("ticks_errors", "critical", t, container="collector-b"),
                  _alert("ticks_last_tick_age", "critical", t, table="eth_option_quotes"),
                  # Not a symptom: disk usage is its own problem.
                  _alert("ticks_disk_usage", "warning", t, path="/var/lib/postgresql")])
    wait_until(lambda: len(_names(hooks.posts("/pager"))) >= 3 and hooks.posts("/chat"),
               timeout=15, what="the pages and the chat message")
    _settle(manager, inhibited=1)

    assert _names(hooks.posts("/pager")) == [("CollectorDown", "critical", t, "collector-a"),
                                             ("CollectorErrorsHigh", "critical", t, "collector-b"),
                                             ("TicksStale", "critical", t, "eth_option_quotes")]
    assert _names(hooks.posts("/chat")) == [("DiskUsageHigh", "warning", t, "/var/lib/postgresql")]


def test_a_container_down_silences_the_table_it_feeds_only(am):
    """Catalog (changed 2026-12-06): CollectorDown silences TicksStale/TickRateLow of the table
    its container feeds (tables[].fed_by, carried by the rules as the table alerts' `container`),
    not of a table another container feeds, nor of one with no declared feeder."""
    manager, hooks = am
    t = "ticks-1:9105"
    manager.post([_alert("ticks_container_running", "critical", t, container="collector-a"),
                  _alert("ticks_last_tick_age", "critical", t, table="quotes_a", container="collector-a"),
                  _alert("ticks_rate", "critical", t, table="quotes_a", container="collector-a"),
                  _alert("ticks_last_tick_age", "critical", t, table="quotes_b", container="collector-b"),
                  _alert("ticks_rate", "critical", t, table="quotes_c")])
    wait_until(lambda: len(_names(hooks.posts("/pager"))) >= 3, timeout=15, what="the pages")
    _settle(manager, inhibited=2)
    assert _names(hooks.posts("/pager")) == [("CollectorDown", "critical", t, "collector-a"),
                                             ("TickRateLow", "critical", t, "quotes_c"),
                                             ("TicksStale", "critical", t, "collector-b", "quotes_b")]


@pytest.mark.parametrize("cause, effect, members", [
    ("ticks_last_tick_age", "ticks_rate", {"table": "eth_option_quotes"}),
    ("tburn_heap", "tburn_memory_governor", {}),
    ("nectar_sync_progress", "nectar_sync_speed", {}),
], ids=["stale-explains-rate", "heap-explains-governor", "stall-explains-slow"])
def test_one_symptom_explains_another(am, cause, effect, members):
    manager, hooks = am
    i = "host-1:9100"
    level = "critical" if signal(effect).critical is not None else "warning"
    # The effect at its worst (a page where it has one), the cause paging too: one root cause, one page.
    manager.post([_alert(cause, "critical", i, **members),
                  _alert(effect, level, i, **members),
                  # The same effect elsewhere is not explained.
                  _alert(effect, level, "host-2:9100", **members)])
    wait_until(lambda: hooks.posts("/pager"), timeout=15, what="a page")
    _settle(manager, inhibited=1)
    notified = _names(hooks.posts("/pager") + hooks.posts("/chat"))
    assert [n[:3] for n in notified] == sorted([(signal(cause).alert, "critical", i),
                                                (signal(effect).alert, level, "host-2:9100")])


def test_critical_silences_the_same_alerts_warning(am):
    manager, hooks = am
    manager.post([_alert("nectar_memory", "warning", "nectar-1:9861"),
                  _alert("nectar_memory", "critical", "nectar-1:9861"),
                  # Same alert, other instance: still warned about.
                  _alert("nectar_memory", "warning", "nectar-2:9861"),
                  # Same alert and instance, other process: still warned about.
                  _alert("pm2_memory", "critical", "pm2-1:9863", name="reader"),
                  _alert("pm2_memory", "warning", "pm2-1:9863", name="rss-sync-server")])
    wait_until(lambda: len(_names(hooks.posts("/pager"))) >= 2 and len(_names(hooks.posts("/chat"))) >= 2,
               timeout=15, what="pages and chat")
    _settle(manager, inhibited=1)

    assert _names(hooks.posts("/pager")) == [("NectarMemoryHigh", "critical", "nectar-1:9861"),
                                             ("PM2ProcessMemoryHigh", "critical", "pm2-1:9863", "reader")]
    assert _names(hooks.posts("/chat")) == [("NectarMemoryHigh", "warning", "nectar-2:9861"),
                                            ("PM2ProcessMemoryHigh", "warning", "pm2-1:9863", "rss-sync-server")]


def test_the_routing_docs_list_the_model():
    doc = (ALERTMANAGER_FILE.parents[1] / "docs" / "alerting.md").read_text()
    assert routing.model_table(SIGNALS) in doc
