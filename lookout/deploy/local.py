"""The HA layout on one machine, on 127.0.0.1: two Prometheus replicas and an Alertmanager
cluster (Debian's binaries), for `lookout demo up --ha` and tests/ha.

Timings come from a `Timing` (the flags and routing timers only; the rules are loaded as
given). Every process is started in `workdir`, and `stop()` ends them all.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml

from lookout.devstack.proc import free_port, http_get, wait_until

from . import ha, meta_rules

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
ALERTMANAGER = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager") or "prometheus-alertmanager"
REPLICAS = ("a", "b")


@dataclass(frozen=True)
class Timing:
    scrape_interval: str = "15s"
    evaluation_interval: str = "15s"
    group_wait: str = "30s"          # routing timers, on every route (as the demo does)
    group_interval: str = "5m"
    repeat_interval: str = "4h"
    heartbeat_interval: str = "1m"   # the Watchdog route's group_interval and repeat_interval
    peer_timeout: str = "15s"        # Alertmanager: how long each later member waits for the earlier
    resend_delay: str = "1m"         # Prometheus: how often a firing alert is re-sent
    alertmanager_flags: tuple[str, ...] = ()


# group_interval must outlast the replicas' skew (up to a scrape plus an evaluation): while one
# replica has resolved an alert and the other still re-sends it firing, a shorter flush would
# notify the flap (measured with 1 s and a 2 s resend delay: 3 resolved notifications). The
# default 5m is far longer. The resend delay stays Prometheus' 1m for the same reason.
FAST = Timing(scrape_interval="1s", evaluation_interval="1s", group_wait="1s", group_interval="5s",
              repeat_interval="1h", heartbeat_interval="2s", peer_timeout="2s",
              alertmanager_flags=("--cluster.pushpull-interval=2s", "--cluster.settle-timeout=3s",
                                  "--cluster.reconnect-interval=2s"))


def timing_for(profile) -> Timing:
    """The demo's timings (lookout/demo/profiles.py) for the pair: its scrape, evaluation and
    routing timers, with group_interval no shorter than FAST's (the replicas' skew)."""
    if not profile.compressed:
        return Timing(scrape_interval=f"{profile.scrape_interval:g}s",
                      evaluation_interval=f"{profile.evaluation_interval:g}s",
                      group_wait=profile.group_wait, group_interval=profile.group_interval,
                      repeat_interval=profile.repeat_interval)
    return Timing(scrape_interval=f"{profile.scrape_interval:g}s", evaluation_interval=f"{profile.evaluation_interval:g}s",
                  group_wait=profile.group_wait, group_interval=FAST.group_interval,
                  repeat_interval=profile.repeat_interval, heartbeat_interval="10s", peer_timeout=FAST.peer_timeout,
                  alertmanager_flags=FAST.alertmanager_flags)


class Proc:
    def __init__(self, name: str, args: list[str], log: Path):
        self.name, self.args, self.log_path = name, args, log
        self._log = open(log, "w")
        # Own session: a Ctrl-C in the demo's terminal reaches the orchestrator, which stops these in order.
        self.proc = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True, env=os.environ.copy())

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        """As a crash: SIGKILL, no goodbye to the cluster."""
        if self.alive():
            self.proc.kill()
        self.proc.wait()

    def stop(self, timeout: float = 15) -> None:
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if not self._log.closed:
            self._log.close()

    def tail(self, chars: int = 3000) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text()[-chars:]


class _Timers:  # what ha.to_webhooks reads
    def __init__(self, t: Timing):
        self.group_wait, self.group_interval, self.repeat_interval = t.group_wait, t.group_interval, t.repeat_interval


class LocalHA:
    """`scrapes`: job -> [host:port] of exporters (the pair and the cluster are added);
    `webhook`: base URL every receiver posts to (`<webhook>/<receiver>`) except those in
    `direct` (receiver -> URL); `heartbeat`: the dead man's switch URL the Watchdog goes to;
    `runbook_base`: the URL of docs/runbooks.md the meta-alerts' runbook_url are next to."""

    def __init__(self, workdir: Path, scrapes: dict[str, list[str]], rule_files: list[Path], webhook: str,
                 heartbeat: str, timing: Timing = Timing(), alertmanagers: int = 2, cluster: str = "lookout-local",
                 remote_write: list[dict] | None = None, direct: dict[str, str] | None = None,
                 runbook_base: str = meta_rules.DEFAULT_RUNBOOK_BASE):
        self.dir = workdir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.timing = timing
        self.cluster = cluster
        self.am_ports = [(free_port(), free_port()) for _ in range(alertmanagers)]
        self.prom_ports = {r: free_port() for r in REPLICAS}
        self.am_urls = [f"http://127.0.0.1:{web}" for web, _ in self.am_ports]
        self.prom_urls = {r: f"http://127.0.0.1:{p}" for r, p in self.prom_ports.items()}
        self.alertmanagers: list[Proc] = []
        self.prometheus: dict[str, Proc] = {}
        meta = self.dir / "lookout-ha.yml"
        meta.write_text(yaml.safe_dump({"groups": [meta_rules.group(alertmanagers, runbook_base)]}, sort_keys=False))
        self.rule_files = [*map(str, rule_files), str(meta)]
        self.scrapes = [ha.Scrape(job, list(addrs)) for job, addrs in scrapes.items()]
        self.scrapes += [ha.Scrape("prometheus", [f"127.0.0.1:{p}" for p in self.prom_ports.values()]),
                         ha.Scrape("alertmanager", [f"127.0.0.1:{w}" for w, _ in self.am_ports])]
        self.remote_write = remote_write or []
        am_cfg = ha.with_heartbeat(ha.to_webhooks(ha.routing(), webhook, _Timers(timing), direct), heartbeat)
        route = am_cfg["route"]["routes"][0]
        route.update(group_interval=timing.heartbeat_interval, repeat_interval=timing.heartbeat_interval)
        self.am_config = self.dir / "alertmanager.yml"
        self.am_config.write_text(yaml.safe_dump(am_cfg, sort_keys=False))

    # --- starting -------------------------------------------------------------------------

    def start(self, timeout: float = 60) -> "LocalHA":
        for i in range(len(self.am_ports)):
            self.alertmanagers.append(self._alertmanager(i))
        for replica in REPLICAS:
            self.prometheus[replica] = self._prometheus(replica)
        for proc, url in [*zip(self.alertmanagers, self.am_urls),
                          *((self.prometheus[r], self.prom_urls[r]) for r in REPLICAS)]:
            self._wait_ready(proc, url, timeout)
        wait_until(lambda: all(self.cluster_members(u) == len(self.am_urls) for u in self.am_urls), timeout, 0.3,
                   what="every Alertmanager to see the whole cluster")
        return self

    def _alertmanager(self, i: int) -> Proc:
        web, gossip = self.am_ports[i]
        peers = [f"127.0.0.1:{g}" for j, (_, g) in enumerate(self.am_ports) if j != i]
        args = ha.alertmanager_args(f"127.0.0.1:{web}", f"127.0.0.1:{gossip}", peers, str(self.am_config),
                                    str(self.dir / f"am-{i}"),
                                    [f"--cluster.peer-timeout={self.timing.peer_timeout}", "--log.level=warn",
                                     *self.timing.alertmanager_flags])
        return Proc(f"alertmanager-{i}", [ALERTMANAGER, *args], self.dir / f"alertmanager-{i}.log")

    def _prometheus(self, replica: str) -> Proc:
        cfg = ha.PrometheusReplica(
            cluster=self.cluster, replica=replica, alertmanagers=[u.removeprefix("http://") for u in self.am_urls],
            rule_files=self.rule_files, scrapes=self.scrapes, scrape_interval=self.timing.scrape_interval,
            evaluation_interval=self.timing.evaluation_interval, remote_write=self.remote_write).config()
        path = self.dir / f"prometheus-{replica}.yml"
        path.write_text(yaml.safe_dump(cfg, sort_keys=False))
        return Proc(f"prometheus-{replica}",
                    [PROMETHEUS, f"--config.file={path}", f"--storage.tsdb.path={self.dir / f'prom-{replica}'}",
                     f"--web.listen-address=127.0.0.1:{self.prom_ports[replica]}",
                     f"--rules.alert.resend-delay={self.timing.resend_delay}", "--log.level=warn"],
                    self.dir / f"prometheus-{replica}.log")

    @staticmethod
    def _wait_ready(proc: Proc, url: str, timeout: float) -> None:
        def ready():
            if not proc.alive():
                raise RuntimeError(f"{proc.name} exited with {proc.proc.returncode}: {proc.tail()}")
            return http_get(url + "/-/ready", timeout=2)[0] == 200
        wait_until(ready, timeout, 0.2, what=f"{proc.name} at {url}")

    # --- reading --------------------------------------------------------------------------

    @staticmethod
    def cluster_members(am_url: str) -> int:
        status, _, body = http_get(am_url + "/api/v2/status", timeout=3)
        return len(json.loads(body)["cluster"].get("peers") or []) if status == 200 else 0

    # --- stopping -------------------------------------------------------------------------

    def stop(self) -> None:
        for proc in [*self.prometheus.values(), *self.alertmanagers]:
            proc.stop()
