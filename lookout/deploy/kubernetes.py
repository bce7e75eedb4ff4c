"""Prometheus Operator resources from the same sources as the rule files and the routing:
PrometheusRule (one per rule group, the groups the rule generator writes), ServiceMonitor (one
per exporter, scraped over TLS with basic auth like the multi-host layout) and one
AlertmanagerConfig (prometheus/alertmanager.yml's routes and inhibitions, plus the heartbeat).

Secrets are referenced, never written: the operator reads them from the namespace (names in
SECRETS; docs/deploying.md says what goes in each).
"""
from __future__ import annotations

import re

from . import ha, meta_rules
from .hosts import hosts

NAMESPACE = "monitoring"
PART_OF = {"app.kubernetes.io/part-of": "lookout"}
# The Prometheus CR's ruleSelector / serviceMonitorSelector should match these labels.
SELECTOR_LABELS = {**PART_OF, "lookout.io/monitoring": "enabled"}
JOB_LABEL = "lookout.io/job"
SECRETS = {"tls": "lookout-exporter-tls", "alerting": "lookout-alerting", "scrape": "lookout-scrape-{system}"}
_MATCHER = re.compile(r'^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"?(.*?)"?\s*$')


def _meta(name: str) -> dict:
    return {"name": name, "namespace": NAMESPACE, "labels": dict(SELECTOR_LABELS)}


def prometheus_rules(groups: list[dict]) -> list[dict]:
    """One PrometheusRule per rule group, carrying the group unchanged."""
    return [{"apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
             "metadata": _meta(f"lookout-{g['name']}"), "spec": {"groups": [g]}} for g in groups]


def service_monitors(interval: str = "15s", timeout: str = "10s") -> list[dict]:
    """One ServiceMonitor per exporter, and one for lookout-remediate (job `remediate`, a
    single replica: its cooldown and attempts live in that one process): https with the CA
    from SECRETS['tls'] and basic auth from SECRETS['scrape'] (keys username, password). The
    Service carries `app.kubernetes.io/name: lookout-<system>-exporter` (lookout-remediate for
    the receiver), a port named `metrics`, and `lookout.io/job: <system>` (the job label the
    rules and dashboards use)."""
    out = []
    targets = [(h.system, f"lookout-{h.system}-exporter", h.host) for h in hosts()]
    targets.append(("remediate", "lookout-remediate", "lookout-remediate"))
    for system, app, server_name in targets:
        scrape = SECRETS["scrape"].format(system=system)
        out.append({
            "apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor",
            "metadata": _meta(app),
            "spec": {
                "jobLabel": JOB_LABEL,
                "selector": {"matchLabels": {"app.kubernetes.io/name": app}},
                "namespaceSelector": {"matchNames": [NAMESPACE]},
                "endpoints": [{
                    "port": "metrics", "path": "/metrics", "scheme": "https",
                    "interval": interval, "scrapeTimeout": timeout,
                    "tlsConfig": {"ca": {"secret": {"name": SECRETS["tls"], "key": "ca.crt"}},
                                  "serverName": server_name},
                    "basicAuth": {"username": {"name": scrape, "key": "username"},
                                  "password": {"name": scrape, "key": "password"}},
                }],
            },
        })
    return out


def matcher(text: str) -> dict:
    """'severity="critical"' -> {name, value, matchType} (ValueError when it is not one)."""
    m = _MATCHER.match(text)
    if not m:
        raise ValueError(f"not a label matcher: {text!r}")
    return {"name": m[1], "value": m[3], "matchType": m[2]}


_ROUTE_KEYS = {"receiver": "receiver", "group_by": "groupBy", "group_wait": "groupWait",
               "group_interval": "groupInterval", "repeat_interval": "repeatInterval", "continue": "continue"}


def _route(route: dict) -> dict:
    unknown = set(route) - set(_ROUTE_KEYS) - {"matchers", "routes"}
    if unknown:
        raise ValueError(f"route keys the AlertmanagerConfig conversion does not know: {sorted(unknown)}")
    out = {camel: route[key] for key, camel in _ROUTE_KEYS.items() if key in route}
    if route.get("matchers"):
        out["matchers"] = [matcher(m) for m in route["matchers"]]
    if route.get("routes"):
        out["routes"] = [_route(r) for r in route["routes"]]
    return out


def _receiver(receiver: dict) -> dict:
    name = receiver["name"]
    hooks = []
    for hook in receiver.get("webhook_configs") or []:
        unknown = set(hook) - {"url", "send_resolved", "http_config"}
        if unknown or set(receiver) - {"name", "webhook_configs"}:
            raise ValueError(f"receiver {name}: settings the conversion does not know: {sorted(unknown)}")
        # The URL may carry a token (chat webhooks do): a Secret, like the credentials.
        out = {"urlSecret": {"name": SECRETS["alerting"], "key": f"{name}-url"},
               "sendResolved": bool(hook.get("send_resolved", True))}
        auth = (hook.get("http_config") or {}).get("authorization")
        if auth:
            out["httpConfig"] = {"authorization": {
                "type": auth.get("type", "Bearer"),
                "credentials": {"name": SECRETS["alerting"], "key": f"{name}-credentials"}}}
        hooks.append(out)
    return {"name": name, "webhookConfigs": hooks}


def alertmanager_config(routing: dict) -> dict:
    """`routing` (prometheus/alertmanager.yml's shape, heartbeat included) as an AlertmanagerConfig."""
    return {
        "apiVersion": "monitoring.coreos.com/v1alpha1", "kind": "AlertmanagerConfig",
        "metadata": _meta("lookout"),
        "spec": {
            "route": _route(routing["route"]),
            "receivers": [_receiver(r) for r in routing.get("receivers") or []],
            "inhibitRules": [{"sourceMatch": [matcher(m) for m in rule.get("source_matchers") or []],
                              "targetMatch": [matcher(m) for m in rule.get("target_matchers") or []],
                              "equal": list(rule.get("equal") or [])}
                             for rule in routing.get("inhibit_rules") or []],
        },
    }


def resources(groups: list[dict], alertmanagers: int = 2,
              runbook_base: str = meta_rules.DEFAULT_RUNBOOK_BASE) -> dict[str, list[dict]]:
    """File name under deploy/kubernetes/ -> the objects it holds."""
    routing = ha.with_heartbeat(ha.routing(), "https://heartbeat.example.invalid/ping")
    return {"prometheusrules.yaml": prometheus_rules([*groups, meta_rules.group(alertmanagers, runbook_base)]),
            "servicemonitors.yaml": service_monitors(),
            "alertmanagerconfig.yaml": [alertmanager_config(routing)]}
