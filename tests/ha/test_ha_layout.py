"""Issue 17: the pager survives a lost node. Two Prometheus replicas with identical rules,
two Alertmanagers in one gossip cluster, real processes on loopback.

Expected values come from Alertmanager's and Prometheus' documented HA behaviour: alerts
identical across replicas are de-duplicated, a notification recorded in the gossiped log is
not sent again by another member, and a lost member's duties fall to the others.
"""
from __future__ import annotations

import time
from dataclasses import replace

import pytest

from lookout.deploy.local import FAST
from lookout.devstack.proc import wait_until

from .conftest import HEARTBEAT_EVERY

INCIDENT = "HATestIncident"
# Long enough for every Alertmanager to have had its turn: two group intervals (5 s) plus
# each member's wait (position x peer timeout 2 s).
SETTLE = 15
GOSSIP = 1.0  # five of Alertmanager's 200 ms gossip intervals


def _settled_once(pager, alertname: str, status: str = "firing") -> None:
    time.sleep(SETTLE)
    assert pager.count(alertname, status) == 1, pager.story()


def test_an_incident_pages_exactly_once_and_resolves_once(layout, ha_results):
    t0 = time.monotonic()
    layout.switch.on = True
    paged = layout.pager.wait(INCIDENT, timeout=60)
    _settled_once(layout.pager, INCIDENT)
    layout.switch.on = False
    layout.pager.wait(INCIDENT, status="resolved", timeout=60)
    _settled_once(layout.pager, INCIDENT, "resolved")
    assert layout.pager.others(INCIDENT) == []
    ha_results.append({"failure": "none (incident only)", "notifications": "1 firing + 1 resolved",
                       "time_to_page": f"{paged - t0:.1f} s"})


def test_losing_an_alertmanager_mid_incident_still_pages_once_and_resolves(layout, ha_results):
    layout.switch.on = True
    layout.pager.wait(INCIDENT, timeout=60)
    # Mid-incident, once the sender's notification log has gossiped (200 ms interval). Killed
    # within ~0.1 s of sending, the sender cannot tell its peer, which pages a second time
    # after its peer timeout: Alertmanager delivers at least once (seen here, docs/deploying.md).
    time.sleep(GOSSIP)
    killed = time.monotonic()
    layout.ha.alertmanagers[0].kill()
    layout.switch.on = False
    layout.pager.wait(INCIDENT, status="resolved", timeout=60)
    _settled_once(layout.pager, INCIDENT, "resolved")
    # A new incident with one member gone: still one page.
    again = time.monotonic()
    layout.switch.on = True
    second = layout.pager.wait(INCIDENT, n=2, timeout=60)
    # The meta-alert: the survivor's peer is gone (1m `for`, as generated).
    meta = layout.pager.wait("AlertmanagerPeerDown", timeout=150)
    time.sleep(SETTLE)
    assert layout.pager.count(INCIDENT) == 2 and layout.pager.count(INCIDENT, "resolved") == 1, layout.pager.story()
    assert layout.pager.count("AlertmanagerPeerDown") == 1
    assert layout.pager.others(INCIDENT, "AlertmanagerPeerDown") == []
    down = [e["labels"]["instance"] for e in layout.pager.entries() if e["alertname"] == "AlertmanagerPeerDown"]
    assert down == [layout.ha.am_urls[0].removeprefix("http://")]
    ha_results.append({"failure": "lost Alertmanager (SIGKILL, 1 of 2)",
                       "notifications": "incident: 1 firing + 1 resolved, next incident 1; AlertmanagerPeerDown 1",
                       "time_to_page": f"incident {second - again:.1f} s; meta {meta - killed:.1f} s"})


def test_losing_a_prometheus_changes_nothing_the_pager_sees(layout, ha_results):
    layout.switch.on = True
    layout.pager.wait(INCIDENT, timeout=60)
    killed = time.monotonic()
    layout.ha.prometheus["b"].kill()
    _settled_once(layout.pager, INCIDENT)
    layout.switch.on = False
    layout.pager.wait(INCIDENT, status="resolved", timeout=60)
    meta = layout.pager.wait("PrometheusPeerDown", timeout=150)
    time.sleep(SETTLE)
    assert layout.pager.count(INCIDENT) == 1 and layout.pager.count(INCIDENT, "resolved") == 1
    assert layout.pager.count("PrometheusPeerDown") == 1
    assert layout.pager.others(INCIDENT, "PrometheusPeerDown") == []
    down = [e["labels"]["instance"] for e in layout.pager.entries() if e["alertname"] == "PrometheusPeerDown"]
    assert down == [layout.ha.prom_urls["b"].removeprefix("http://")]
    ha_results.append({"failure": "lost Prometheus (SIGKILL, 1 of 2)",
                       "notifications": "incident: 1 firing + 1 resolved (unchanged); PrometheusPeerDown 1",
                       "time_to_page": f"meta {meta - killed:.1f} s"})


def test_a_lost_exporter_host_is_one_page(layout, ha_results):
    """The host gone (its exporter killed, as unplugging it): ExporterDown, nothing else."""
    killed = time.monotonic()
    layout.exporter.proc.kill()
    paged = layout.pager.wait("ExporterDown", timeout=200)
    time.sleep(SETTLE)
    assert layout.pager.count("ExporterDown") == 1
    assert layout.pager.others("ExporterDown") == []
    ha_results.append({"failure": "lost exporter host (TBURN exporter SIGKILL)", "notifications": "ExporterDown 1",
                       "time_to_page": f"{paged - killed:.1f} s (rule `for` 2m)"})


def _heartbeat_flowing(layout) -> None:
    wait_until(lambda: layout.heartbeat.status()[0] == 200, 60, 0.3, what="the Watchdog's first heartbeats")
    pings = layout.heartbeat.status()[1]["pings"]
    time.sleep(HEARTBEAT_EVERY)
    assert layout.heartbeat.status()[1]["pings"] > pings, "the Watchdog is re-sent while it fires"
    # The Watchdog never reaches people.
    assert layout.pager.count("Watchdog") == 0 and layout.pager.count("Watchdog", receiver="chat") == 0


def _missing_after(layout, killed: float, timeout: float) -> float:
    wait_until(lambda: layout.heartbeat.status()[0] == 503, timeout, 0.3, what="the heartbeat to report missing")
    code, status = layout.heartbeat.status()
    assert status["state"] == "missing" and status["seconds_since_last"] > HEARTBEAT_EVERY
    return time.monotonic() - killed


def test_the_heartbeat_notices_when_no_alertmanager_delivers(layout, ha_results):
    _heartbeat_flowing(layout)
    killed = time.monotonic()
    for proc in layout.ha.alertmanagers:
        proc.kill()
    took = _missing_after(layout, killed, 60)
    ha_results.append({"failure": "both Alertmanagers lost",
                       "notifications": "none possible; heartbeat switch: missing",
                       "time_to_page": f"{took:.1f} s to detect (heartbeat tolerance {HEARTBEAT_EVERY} s)"})


# Alertmanager keeps the last alert it got until its endsAt, which Prometheus sets 4 x the
# resend delay ahead (4 x 1m by default): the Watchdog outlives its Prometheus that long. 5 s
# here keeps the test short; a short resend delay is not used elsewhere, as a replica still
# re-sending an alert the other has resolved would make the group flap.
@pytest.mark.parametrize("layout", [replace(FAST, resend_delay="5s")], indirect=True, ids=["resend-5s"])
def test_the_heartbeat_notices_when_no_prometheus_evaluates(layout, ha_results):
    _heartbeat_flowing(layout)
    killed = time.monotonic()
    for proc in layout.ha.prometheus.values():
        proc.kill()
    took = _missing_after(layout, killed, 90)
    # No earlier than the alert's endsAt (4 x 5 s) plus the switch's tolerance.
    assert took >= 4 * 5
    ha_results.append({"failure": "both Prometheus lost (Watchdog stops)",
                       "notifications": "none possible; heartbeat switch: missing",
                       "time_to_page": f"{took:.1f} s to detect (4 x resend delay 5 s + tolerance {HEARTBEAT_EVERY} s)"})
