"""Alertmanager's webhook payload (version 4), checked before anything is decided on it.

    {"version": "4", "groupKey": str, "status": "firing"|"resolved", "receiver": str,
     "alerts": [{"status": "firing"|"resolved", "labels": {str: str}, "annotations": {...},
                 "startsAt": RFC 3339, "endsAt": RFC 3339, "fingerprint": str, ...}], ...}

Source: Alertmanager's notify/webhook package (the `Message` type) and its docs page
"Configuration: <webhook_config>".
"""
from __future__ import annotations

from lookout.records import record


class PayloadError(ValueError):
    pass


@record(frozen=True)
class Alert:
    status: str
    labels: dict
    fingerprint: str
    starts_at: str

    @property
    def name(self) -> str:
        return self.labels.get("alertname", "")


@record(frozen=True)
class Notification:
    group_key: str
    receiver: str
    alerts: tuple[Alert, ...]


def parse(body: object) -> Notification:
    if not isinstance(body, dict):
        raise PayloadError("the body is not a JSON object")
    if str(body.get("version", "")) != "4":
        raise PayloadError(f"unsupported webhook version {body.get('version')!r} (expected \"4\")")
    group_key = body.get("groupKey")
    if not isinstance(group_key, str) or not group_key:
        raise PayloadError("groupKey is missing")
    alerts = body.get("alerts")
    if not isinstance(alerts, list):
        raise PayloadError("alerts is not a list")
    parsed = []
    for i, a in enumerate(alerts):
        if not isinstance(a, dict):
            raise PayloadError(f"alerts[{i}] is not an object")
        labels = a.get("labels")
        if not isinstance(labels, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in labels.items()):
            raise PayloadError(f"alerts[{i}].labels is not a map of strings")
        if not labels.get("alertname"):
            raise PayloadError(f"alerts[{i}].labels.alertname is missing")
        if a.get("status") not in ("firing", "resolved"):
            raise PayloadError(f"alerts[{i}].status must be firing or resolved, got {a.get('status')!r}")
        fp = a.get("fingerprint")
        if not isinstance(fp, str) or not fp:
            raise PayloadError(f"alerts[{i}].fingerprint is missing")
        parsed.append(Alert(a["status"], dict(labels), fp, str(a.get("startsAt", ""))))
    return Notification(group_key, str(body.get("receiver", "")), tuple(parsed))
