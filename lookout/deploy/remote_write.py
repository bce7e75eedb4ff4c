"""`remote_write` blocks for the long-term stores users move to (Prometheus config, one block
per store). Credentials are files next to Prometheus, never values in the config.

De-duplication: both replicas write every series, differing only by the `replica` external
label (lookout/deploy/ha.py), under the same `cluster` label. The store keeps one:
- Mimir: its HA tracker, `-distributor.ha-tracker.enable=true` with
  `-distributor.ha-tracker.cluster=cluster` and `-distributor.ha-tracker.replica=replica`
  (Mimir's default replica label is `__replica__`); it accepts one replica's samples per cluster
  and fails over when that one stops.
- Thanos (Receive, queried by Thanos Query): `thanos query --query.replica-label=replica`
  merges the two at query time.
- VictoriaMetrics: drop `replica` on ingestion and de-duplicate the now identical series,
  `-dedup.minScrapeInterval=15s` (the scrape interval) with `replica` removed by the relabel
  config given to `-relabelConfig` (single node) or vminsert.
"""
from __future__ import annotations

STORES = {
    # Mimir's push endpoint; X-Scope-OrgID names the tenant when multi-tenancy is on.
    "mimir": {"url": "https://mimir.example.internal/api/v1/push",
              "headers": {"X-Scope-OrgID": "lookout"},
              "basic_auth": {"username": "lookout", "password_file": "/etc/prometheus/secrets/remote-write-password"}},
    # Thanos Receive's remote-write endpoint (port 19291 by default).
    "thanos": {"url": "https://thanos-receive.example.internal:19291/api/v1/receive",
               "basic_auth": {"username": "lookout", "password_file": "/etc/prometheus/secrets/remote-write-password"}},
    # VictoriaMetrics single node (vminsert: /insert/<tenant>/prometheus/api/v1/write).
    "victoriametrics": {"url": "https://victoria.example.internal:8428/api/v1/write",
                        "basic_auth": {"username": "lookout",
                                       "password_file": "/etc/prometheus/secrets/remote-write-password"}},
}


def block(url: str, name: str = "long-term", basic_auth: dict | None = None, headers: dict | None = None,
          ca_file: str = "") -> dict:
    """One `remote_write` entry. `basic_auth`: {username, password_file}."""
    entry: dict = {"name": name, "url": url}
    if headers:
        entry["headers"] = dict(headers)
    if basic_auth:
        entry["basic_auth"] = dict(basic_auth)
    if ca_file:
        entry["tls_config"] = {"ca_file": ca_file}
    # A store that throttles (HTTP 429) gets the samples later instead of never.
    entry["queue_config"] = {"retry_on_http_429": True}
    return entry


def for_store(store: str) -> list[dict]:
    preset = STORES[store]
    return [block(preset["url"], name=store, basic_auth=preset.get("basic_auth"), headers=preset.get("headers"))]
