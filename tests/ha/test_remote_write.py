"""Remote write from the HA pair into a real receiver: a third Prometheus with
`--web.enable-remote-write-receiver` (Debian's 2.42 has it), standing in for Mimir, Thanos
Receive or VictoriaMetrics. Both replicas' series must arrive, told apart by `replica` and
grouped by `cluster` (the labels the stores de-duplicate on)."""
from __future__ import annotations

import json
import urllib.parse

import yaml

from lookout.deploy import remote_write
from lookout.deploy.local import FAST, PROMETHEUS, LocalHA, Proc
from lookout.devstack.alertmanager import WebhookRecorder
from lookout.devstack.proc import free_port, http_get, wait_until


def _query(url: str, expr: str) -> list[dict]:
    status, _, body = http_get(url + "/api/v1/query?" + urllib.parse.urlencode({"query": expr}), timeout=5)
    assert status == 200, body
    return json.loads(body)["data"]["result"]


def test_both_replicas_write_their_series_with_replica_and_cluster_labels(tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    (tmp_path / "receiver.yml").write_text(yaml.safe_dump({"scrape_configs": []}))
    receiver = Proc("receiver", [PROMETHEUS, f"--config.file={tmp_path / 'receiver.yml'}",
                                 f"--storage.tsdb.path={tmp_path / 'receiver-data'}",
                                 f"--web.listen-address=127.0.0.1:{port}", "--web.enable-remote-write-receiver",
                                 "--log.level=warn"], tmp_path / "receiver.log")
    recorder = WebhookRecorder()
    pair = LocalHA(tmp_path / "ha", {}, [], recorder.url(""), recorder.url("/heartbeat"), FAST, alertmanagers=1,
                   cluster="lookout-test", remote_write=[remote_write.block(url + "/api/v1/write", name="receiver")])
    try:
        LocalHA._wait_ready(receiver, url, 60)
        pair.start()

        def arrived():
            got = _query(url, 'count by (cluster, replica) (up{job="prometheus"})')
            return {(r["metric"].get("cluster"), r["metric"].get("replica")) for r in got}
        labels = wait_until(lambda: arrived() == {("lookout-test", "a"), ("lookout-test", "b")} and arrived(),
                            90, 0.5, what="both replicas' series in the receiver")
        assert labels == {("lookout-test", "a"), ("lookout-test", "b")}
        # The samples are the replicas' own: each scraped both Prometheus servers.
        def per_replica():
            got = _query(url, 'count by (replica) (up{job="prometheus"} == 1)')
            return {r["metric"]["replica"]: r["value"][1] for r in got}
        wait_until(lambda: per_replica() == {"a": "2", "b": "2"}, 60, 0.5, what="each replica's two peer scrapes")
        # The receiver scrapes nothing itself: everything it has came through remote write.
        assert _query(url, 'count(up{replica=""})') == []
    finally:
        pair.stop()
        receiver.stop()
        recorder.stop()
