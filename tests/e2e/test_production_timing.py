"""Production timing: the committed rules and the generated Alertmanager config, unchanged,
with 15 s scrapes and evaluations and the real `for` and grouping timers; four root causes on
four systems at once in one stack:

- TiDB down (Nectar's exporter cannot reach it; Nectar reconnects);
- ticks stalled;
- TBURN heap pressure (the memory governor goes critical with it);
- an unrelated PM2 process (`dev-worker`) stopped while the sync server's queue backs up.

Expected, from the catalog's routing notes: exactly one page per root cause, the unrelated
process paging for itself without hiding the sync server's page, and nothing in chat that a
root cause explains (the catalog's symptoms: reconnects, failing database collectors, ticks/min
low while stale, governor degraded while the heap is high).

Real Prometheus and Alertmanager (lookout.devstack) scrape STATIC TARGETS: a fake named as
such, four small HTTP servers serving the exporters' metric shapes (docs/exporters/common.md and
pm2.md) as each exporter would during the fault. Driving the real exporters over real backends
at 15 s scrapes would not fit CI's 8 minutes beside the demo's own end-to-end test. One
concession to the budget, with the rules untouched: the tick stall is served as one that
began 10 minutes before injection (TicksStale's critical is "older than 600 s" with no `for`).
"""
from __future__ import annotations

import json
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import yaml

from lookout.alert_rules import catalog, routing
from lookout.alert_rules.settings import OUTPUT_DIR, SYSTEMS
from lookout.devstack.alertmanager import Alertmanager, WebhookRecorder
from lookout.devstack.prometheus_server import PrometheusServer
from lookout.devstack.proc import http_get, wait_until

SCRAPE = "15s"
BUDGET_SECONDS = 8 * 60
GiB = 1024**3

# The pages the four root causes must send, one each: (alertname, member label value or "").
EXPECTED_PAGES = {("NectarDatabaseDown", ""), ("TicksStale", "eth_option_quotes"), ("TburnHeapHigh", ""),
                  ("PM2ProcessDown", "dev-worker"), ("SyncQueueDepthHigh", "rss-sync-server")}
# What the causes set off that must stay quiet (each fires in Prometheus, see the last assert).
# Explained effects that fire in Prometheus and are muted by Alertmanager's inhibitions ...
EXPLAINED = {"ExporterCollectorFailing"}
# ... and those held down in the rules while their cause fires and for their hold after it
# (docs/alerting.md, the hold-down): never firing in Prometheus while the cause is.
HELD = {"NectarReconnecting", "TickRateLow", "TburnMemoryGovernorDegraded"}


class Scenario:
    """What each job's static target serves: healthy until `inject()`, then the four faults."""

    def __init__(self):
        self.fault_at: float | None = None

    def inject(self) -> float:
        self.fault_at = time.monotonic()
        return self.fault_at

    def since(self) -> float | None:
        return None if self.fault_at is None else time.monotonic() - self.fault_at

    def exposition(self, job: str) -> str:
        lines = getattr(self, job)(self.since())
        return "".join(f"{name} {value!r}\n" for name, value in lines)

    @staticmethod
    def _collectors(exporter: str, failing: set[str], names: tuple[str, ...]) -> list[tuple[str, float]]:
        return [(f'lookout_collector_success{{exporter="{exporter}",collector="{c}"}}', float(c not in failing))
                for c in names]

    def nectar(self, t: float | None) -> list:
        # lookout/systems/nectar/exporter: chain, processlist and server query TiDB; process and
        # logfile do not. Nectar's ConnectionRecovery logs a reconnection episode every 10 s.
        down = t is not None
        lines = [("nectar_up", 0.0 if down else 1.0), ("nectar_process_up", 1.0),
                 ("nectar_process_resident_memory_bytes", 60.0 * GiB),
                 ("nectar_reconnect_episodes_total", float(min(int(t // 10) + 1, 10)) if down else 0.0),
                 ("nectar_reconnect_giveups_total", 0.0)]
        lines += self._collectors("nectar", {"chain", "processlist", "server"} if down else set(),
                                  ("chain", "processlist", "server", "process", "logfile"))
        if not down:
            lines += [("nectar_chain_block", 8_000_000.0), ("nectar_chain_lag_slots", 100.0),
                      ("nectar_database_uptime_seconds", 86_400.0),
                      ("nectar_processlist_oldest_query_seconds", 0.0)]
        return lines

    def ticks(self, t: float | None) -> list:
        table = 'table="eth_option_quotes"'
        stalled = t is not None
        return [("ticks_up", 1.0),
                (f"ticks_table_last_tick_age_seconds{{{table}}}", 600.0 + 15 + t if stalled else 2.0),
                (f"ticks_table_ticks_per_minute{{{table}}}", 0.0 if stalled else 200.0),
                ('ticks_container_running{container="eth-collector"}', 1.0),
                ("ticks_disk_used_ratio{path=\"/var/lib/postgresql\"}", 0.4),
                *self._collectors("ticks", set(), ("ping", "table_eth_option_quotes", "containers", "logs", "disk"))]

    def pm2(self, t: float | None) -> list:
        fault = t is not None
        return [("pm2_up", 1.0),
                ('pm2_process_up{name="rss-sync-server",pm_id="0"}', 1.0),
                ('pm2_process_up{name="dev-worker",pm_id="1"}', 0.0 if fault else 1.0),
                ('pm2_process_restarts_total{name="rss-sync-server",pm_id="0"}', 0.0),
                ('pm2_process_restarts_total{name="dev-worker",pm_id="1"}', 0.0),
                ("pm2_sync_queue_pending", 800.0 if fault else 5.0),
                ('pm2_sync_health_status{pm2_sync_health_status="healthy"}', 1.0),
                ("pm2_host_memory_available_bytes", 4.0 * GiB),
                *self._collectors("pm2", set(), ("processes", "health", "sync_stats", "sync_log", "host"))]

    def tburn(self, t: float | None) -> list:
        pressure = t is not None
        state = "critical" if pressure else "normal"
        return [("tburn_up", 1.0), ("tburn_heap_ratio", 0.97 if pressure else 0.5),
                ("tburn_heap_used_bytes", 1.0 * GiB),
                *((f'tburn_memory_governor_state{{tburn_memory_governor_state="{s}"}}', float(s == state))
                  for s in ("normal", "warning", "deferred", "hibernating", "critical")),
                ("tburn_shards", 32.0), ("tburn_pipeline_running", 1.0),
                *self._collectors("tburn", set(), ("health", "memory", "system_health", "sharding"))]


class StaticTarget:
    """A FAKE exporter: serves `scenario.exposition(job)` on /metrics, loopback, random port."""

    def __init__(self, scenario: Scenario, job: str):
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                body = scenario.exposition(job).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _with_alertmanager(prom: PrometheusServer, am_url: str) -> None:
    """Point the running Prometheus at Alertmanager (SIGHUP reloads its config file)."""
    config = yaml.safe_load(prom.config_path.read_text())
    config["alerting"] = {"alertmanagers": [{"static_configs": [{"targets": [am_url.removeprefix("http://")]}]}]}
    prom.config_path.write_text(yaml.safe_dump(config))
    prom.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: prom.query("up")["status"] == "success" and _alertmanagers(prom), timeout=30,
               what="Prometheus to load the Alertmanager")


def _alertmanagers(prom: PrometheusServer) -> bool:
    status, _, body = http_get(prom.url + "/api/v1/alertmanagers")
    return status == 200 and bool(json.loads(body)["data"]["activeAlertmanagers"])


def _firing(posts: list[dict]) -> list[tuple[str, str, str]]:
    """(alertname, severity, member) of every firing alert in every notification, repeats kept."""
    out = []
    for p in posts:
        for a in p["body"]["alerts"]:
            if a["status"] == "firing":
                labels = a["labels"]
                member = labels.get("table") or labels.get("name") or ""
                out.append((labels["alertname"], labels["severity"], member))
    return out


@pytest.fixture
def stack(tmp_path):
    scenario = Scenario()
    targets = {job: StaticTarget(scenario, job) for job in ("nectar", "ticks", "pm2", "tburn")}
    hooks = WebhookRecorder()
    config = routing.config(catalog.build())          # what prometheus/alertmanager.yml holds
    for receiver in config["receivers"]:               # only the webhook URLs change
        for hook in receiver.get("webhook_configs", []):
            hook["url"] = hooks.url(f"/{receiver['name']}")
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "pager-key").write_text("test-key\n")
    (tmp_path / "secrets" / "remediate-password").write_text("test-password\n")
    manager = Alertmanager(config, tmp_path)
    prom = PrometheusServer({job: [t.address] for job, t in targets.items()},
                            rule_files=[OUTPUT_DIR / f"{s}.yml" for s in SYSTEMS],
                            scrape_interval=SCRAPE, evaluation_interval=SCRAPE)
    try:
        manager.wait_ready()
        prom.wait_ready()
        _with_alertmanager(prom, manager.url)
        yield scenario, prom, hooks
    finally:
        prom.stop()
        manager.stop()
        hooks.stop()
        for t in targets.values():
            t.stop()


def test_four_root_causes_one_page_each_at_production_timing(stack):
    scenario, prom, hooks = stack
    started = time.monotonic()
    # Healthy first: every target scraped and no alert pending or firing.
    wait_until(lambda: len(prom.query('up == 1')["data"]["result"]) == 4, timeout=60, what="four targets up")
    assert prom.query("ALERTS")["data"]["result"] == []

    t0 = scenario.inject()
    first_page: dict[tuple[str, str], float] = {}

    def all_paged() -> bool:
        for name, severity, member in _firing(hooks.posts("/pager")):
            first_page.setdefault((name, member), time.monotonic() - t0)
        return EXPECTED_PAGES <= set(first_page)

    # SyncQueueDepthHigh's 5m `for` is the longest; 7 minutes from injection leaves scrape,
    # evaluation and group_wait delays room on a loaded machine.
    try:
        wait_until(all_paged, timeout=7 * 60, interval=1, what="the five pages")
    except TimeoutError:
        pytest.fail(f"paged after 7 minutes: {sorted(first_page)}; expected {sorted(EXPECTED_PAGES)}")
    # The symptom with the longest `for` (ExporterCollectorFailing, 5m; TickRateLow is held instead) is
    # firing by now; one chat group_wait (30 s) and an evaluation more for a stray notification.
    wait_until(lambda: {a["metric"]["alertname"] for a in
                        prom.query('ALERTS{alertstate="firing"}')["data"]["result"]} >= EXPLAINED,
               timeout=max(10, BUDGET_SECONDS - 30 - (time.monotonic() - started)), interval=2,
               what="the explained alerts to fire in Prometheus")
    time.sleep(45)
    held = {a["metric"]["alertname"] for a in prom.query('ALERTS{alertstate="firing"}')["data"]["result"]} & HELD
    assert held == set(), f"held-down effects fire while their cause does: {held}"

    pages = _firing(hooks.posts("/pager"))
    per_cause = {key: sum(1 for n, _, m in pages if (n, m) == key) for key in EXPECTED_PAGES}
    assert per_cause == dict.fromkeys(EXPECTED_PAGES, 1), pages
    assert {(n, m) for n, _, m in pages} == EXPECTED_PAGES, pages
    assert all(severity == "critical" for _, severity, _ in pages)
    # Nothing in chat: every warning is a root cause's own (muted by its critical) or explained.
    assert _firing(hooks.posts("/chat")) == []
    for name, member in sorted(first_page):
        print(f"production timing: {name} {member or ''} paged {first_page[name, member]:.0f}s after the fault")
    assert time.monotonic() - started < BUDGET_SECONDS
