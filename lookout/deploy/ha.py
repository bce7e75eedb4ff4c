"""The HA layout: two Prometheus servers with identical rules, one Alertmanager cluster.

Why the pieces are what they are (Prometheus and Alertmanager docs, "high availability"):
- Both Prometheus replicas evaluate the same rules and send every alert to every
  Alertmanager. Their external labels differ only by `replica`, which each drops from the
  alerts it sends (`alert_relabel_configs`), so both send the *same* alert and Alertmanager
  de-duplicates it; series written remotely keep `replica` so the store can de-duplicate.
- The Alertmanagers gossip (`--cluster.*`) their notification log and silences: the first
  in cluster order sends, each other waits `position x --cluster.peer-timeout` and sends only
  if the log has no record of it. One page per incident, as long as one of them lives.
- A Watchdog alert always fires and is routed to an external heartbeat (dead man's switch):
  when it stops arriving, no Prometheus evaluates or no Alertmanager delivers.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
ROUTING = ROOT / "prometheus" / "alertmanager.yml"
REPLICA_LABEL = "replica"
CLUSTER_LABEL = "cluster"
HEARTBEAT_RECEIVER = "heartbeat"
# Alertmanager re-sends a firing group every repeat_interval, checked each group_interval:
# the heartbeat arrives every 1-2 minutes; a heartbeat service should alarm after ~5.
HEARTBEAT_ROUTE = {"receiver": HEARTBEAT_RECEIVER, "matchers": ['alertname="Watchdog"'],
                   "group_wait": "0s", "group_interval": "1m", "repeat_interval": "1m"}


@dataclass
class Scrape:
    """One scrape job. `tls` / `basic_auth` hold Prometheus config blocks (file references only)."""
    job: str
    targets: list[str]
    scheme: str = "http"
    tls: dict | None = None
    basic_auth: dict | None = None

    def config(self) -> dict:
        job = {"job_name": self.job}
        if self.scheme != "http":
            job["scheme"] = self.scheme
        if self.tls:
            job["tls_config"] = dict(self.tls)
        if self.basic_auth:
            job["basic_auth"] = dict(self.basic_auth)
        job["static_configs"] = [{"targets": list(self.targets)}]
        return job


@dataclass
class PrometheusReplica:
    """What differs between the replicas: only `replica`. The rest is the pair's."""
    cluster: str
    replica: str
    alertmanagers: list[str]
    rule_files: list[str]
    scrapes: list[Scrape]
    scrape_interval: str = "15s"
    evaluation_interval: str = "15s"
    remote_write: list[dict] = field(default_factory=list)

    def config(self) -> dict:
        cfg = {
            "global": {"scrape_interval": self.scrape_interval, "scrape_timeout": _timeout(self.scrape_interval),
                       "evaluation_interval": self.evaluation_interval,
                       "external_labels": {CLUSTER_LABEL: self.cluster, REPLICA_LABEL: self.replica}},
            "rule_files": list(self.rule_files),
            "alerting": {
                # Without this, each replica's alerts differ by `replica` and page twice.
                "alert_relabel_configs": [{"action": "labeldrop", "regex": REPLICA_LABEL}],
                "alertmanagers": [{"static_configs": [{"targets": list(self.alertmanagers)}]}],
            },
            "scrape_configs": [s.config() for s in self.scrapes],
        }
        if self.remote_write:
            cfg["remote_write"] = copy.deepcopy(self.remote_write)
        return cfg


def _timeout(interval: str) -> str:
    """Prometheus' default scrape_timeout is 10s and must not exceed the interval."""
    seconds = _seconds(interval)
    return f"{min(seconds, 10):g}s"


def _seconds(duration: str) -> float:
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    for unit in ("ms", "s", "m", "h"):
        if duration.endswith(unit) and duration[:-len(unit)].replace(".", "").isdigit():
            return float(duration[:-len(unit)]) * units[unit]
    raise ValueError(f"not a simple duration: {duration!r}")


def alertmanager_args(listen: str, cluster_listen: str, peers: list[str], config_file: str, storage: str,
                      extra: list[str] = ()) -> list[str]:
    """Command-line flags of one cluster member. `peers` are the other members' cluster addresses."""
    args = [f"--config.file={config_file}", f"--storage.path={storage}", f"--web.listen-address={listen}",
            f"--cluster.listen-address={cluster_listen}", f"--cluster.advertise-address={cluster_listen}"]
    args += [f"--cluster.peer={p}" for p in peers]
    return args + list(extra)


def routing() -> dict:
    """The project's routing and inhibitions (prometheus/alertmanager.yml), as written."""
    return yaml.safe_load(ROUTING.read_text()) or {}


def with_heartbeat(config: dict, heartbeat_url: str) -> dict:
    """`config` with the Watchdog routed first to a webhook at `heartbeat_url`: the
    external dead man's switch (healthchecks.io, Dead Man's Snitch, PagerDuty or Opsgenie
    heartbeats accept a webhook POST as a ping)."""
    cfg = copy.deepcopy(config)
    route = cfg.setdefault("route", {})
    route["routes"] = [dict(HEARTBEAT_ROUTE)] + [r for r in route.get("routes") or []
                                                  if r.get("receiver") != HEARTBEAT_RECEIVER]
    cfg["receivers"] = [r for r in cfg.get("receivers") or [] if r["name"] != HEARTBEAT_RECEIVER]
    cfg["receivers"].append({"name": HEARTBEAT_RECEIVER,
                             "webhook_configs": [{"url": heartbeat_url, "send_resolved": False}]})
    return cfg
