"""Decides, for each alert in a notification, whether to act, and runs the action.

Order of the guards (the first that applies is the decision, and is audited):
  resolved -> "resolved"       only firing alerts act
  no remedy label / unknown action / alert not in the action's list -> "unknown"
  target label not allowed     -> "not_allowed"
  the off switch               -> "disabled"
  cooldown on (group, fingerprint) -> "cooldown";  attempts in window used up -> "exhausted"
  the same key still running   -> "in_progress"
  dry-run                      -> "dry_run" (counted as an attempt, so it behaves alike)
  otherwise                    -> "acted", then a "result" entry: ok | failed | timeout
"""
from __future__ import annotations

import asyncio
import time

from prometheus_client import CollectorRegistry, Counter, Gauge, disable_created_metrics

from lookout.exporters.runtime.logs import INFO, WARNING, get_logger

from .actions import Action, ActionError, build
from .audit import AuditLog
from .config import RemediateConfig
from .guards import Key, Ledger
from .payload import Alert, Notification

log = get_logger("lookout.remediate")

REMEDY_LABEL = "remedy"
DECISIONS = ("acted", "dry_run", "resolved", "unknown", "not_allowed", "disabled", "cooldown", "exhausted",
             "in_progress")
RESULTS = ("ok", "failed", "timeout", "dry_run")


# `_created` per counter doubles /metrics for nothing Prometheus uses here (the receiver's
# process, so the switch is process-wide by design).
disable_created_metrics()


class Receiver:
    def __init__(self, cfg: RemediateConfig, audit: AuditLog | None = None):
        self.cfg = cfg
        self.actions: dict[str, Action] = {name: build(name, a, cfg) for name, a in cfg.actions.items()}
        self.audit = audit or AuditLog(cfg.audit_log, cfg.recent)
        self.ledger = Ledger(cfg.cooldown_seconds, cfg.max_attempts, cfg.window_seconds)
        self._meta: dict[Key, tuple[str, str]] = {}  # key -> (action, alertname), for the exhausted gauge
        self._running: dict[Key, asyncio.Task] = {}
        self.registry = CollectorRegistry()
        self._metrics()
        self._restore()

    def _metrics(self) -> None:
        r = self.registry
        self.m_actions = Counter("lookout_remediation_actions", "Actions run, by result (dry_run: decided, not run).",
                                 ["action", "result"], registry=r)
        self.m_decisions = Counter("lookout_remediation_decisions", "Alerts decided on, by decision.",
                                   ["decision"], registry=r)
        self.m_last = Gauge("lookout_remediation_last_action_timestamp_seconds",
                            "When the action last ran (unix seconds).", ["action"], registry=r)
        self.m_duration = Gauge("lookout_remediation_last_action_duration_seconds",
                                "How long the action's last run took.", ["action"], registry=r)
        self.m_exhausted = Gauge("lookout_remediation_exhausted",
                                 "1 while an alert still fires after max_attempts actions in the window.",
                                 ["action", "alert"], registry=r)
        self.m_payloads = Counter("lookout_remediation_notifications", "Webhook notifications, by outcome.",
                                  ["outcome"], registry=r)
        Gauge("lookout_remediation_enabled", "1 unless the global off switch is set.", registry=r).set(int(self.cfg.enabled))
        Gauge("lookout_remediation_dry_run", "1 when actions are decided but not run.", registry=r).set(int(self.cfg.dry_run))
        for name, a in self.cfg.actions.items():
            for result in RESULTS:
                self.m_actions.labels(name, result)
            for alert in a.alerts:
                self.m_exhausted.labels(name, alert).set(0)
        for d in DECISIONS:
            self.m_decisions.labels(d)
        for outcome in ("accepted", "malformed", "unauthorized"):
            self.m_payloads.labels(outcome)

    def _restore(self) -> None:
        """Attempts already in the audit log still count after a restart of the receiver."""
        horizon = time.time() - self.cfg.window_seconds
        for e in self.audit.tail(10_000):
            if e.get("decision") in ("acted", "dry_run") and e.get("unix", 0) > horizon:
                key = (e.get("group_key", ""), e.get("fingerprint", ""))
                self.ledger.record(key, at=e["unix"])
                self._meta[key] = (e.get("action", ""), e.get("alertname", ""))

    # --- deciding ------------------------------------------------------------------------

    def handle(self, note: Notification) -> list[dict]:
        """Decide on every alert of one notification; actions start in the background."""
        return [self._decide(note, alert) for alert in note.alerts]

    def _decide(self, note: Notification, alert: Alert) -> dict:
        key = (note.group_key, alert.fingerprint)
        action_name = alert.labels.get(REMEDY_LABEL, "")
        action = self.actions.get(action_name)
        base = {"alertname": alert.name, "fingerprint": alert.fingerprint, "group_key": note.group_key,
                "status": alert.status, "starts_at": alert.starts_at, "action": action_name,
                "severity": alert.labels.get("severity", ""), "system": alert.labels.get("system", "")}

        def decide(decision: str, detail: str = "", **extra) -> dict:
            self.m_decisions.labels(decision).inc()
            entry = self.audit.write(decision=decision, detail=detail, dry_run=self.cfg.dry_run, **base, **extra)
            log.info("decision", extra={"fields": {k: entry[k] for k in ("decision", "alertname", "action", "detail")}})
            return entry

        if alert.status != "firing":
            self.ledger.resolved(key)
            self._sync_exhausted()
            return decide("resolved", "only firing alerts act")
        if action is None:
            why = "the alert names no remedy" if not action_name else f"no action {action_name!r} is configured"
            return decide("unknown", why)
        if alert.name not in action.cfg.alerts:
            return decide("unknown", f"action {action_name} does not answer {alert.name}")
        target = action.target_for(alert.labels)
        if target is None:
            return decide("not_allowed", f"{action.cfg.target_label}={alert.labels.get(action.cfg.target_label, '')!r} "
                                         "is not in the action's allowed targets")
        base["target"] = target
        if not self.cfg.enabled:
            return decide("disabled", "the global off switch is set (enabled: false)")
        self._meta[key] = (action_name, alert.name)
        blocked = self.ledger.check(key)
        self._sync_exhausted()
        if blocked == "cooldown":
            return decide("cooldown", f"acted less than {self.cfg.cooldown_seconds:g}s ago for this alert")
        if blocked == "exhausted":
            return decide("exhausted", f"{self.cfg.max_attempts} attempts in {self.cfg.window_seconds:g}s; "
                                       "RemediationExhausted pages")
        if key in self._running and not self._running[key].done():
            return decide("in_progress", "the previous run for this alert has not finished")
        self.ledger.record(key)
        if self.cfg.dry_run:
            self.m_actions.labels(action_name, "dry_run").inc()
            return decide("dry_run", f"would run {action.kind} on {target}")
        entry = decide("acted", f"running {action.kind} on {target}")
        self._running[key] = asyncio.get_running_loop().create_task(self._run(action, target, base))
        return entry

    def _sync_exhausted(self) -> None:
        exhausted = {self._meta[k] for k in self.ledger.exhausted_keys() if k in self._meta}
        for name, a in self.cfg.actions.items():
            for alert in a.alerts:
                self.m_exhausted.labels(name, alert).set(1 if (name, alert) in exhausted else 0)

    # --- acting --------------------------------------------------------------------------

    async def _run(self, action: Action, target: str, base: dict) -> None:
        t0 = time.monotonic()
        try:
            async with asyncio.timeout(action.cfg.timeout_seconds):
                detail = await action.run(target)
            result = "ok"
        except TimeoutError:
            result, detail = "timeout", f"cut off at its bound of {action.cfg.timeout_seconds:g}s"
        except ActionError as exc:
            result, detail = "failed", str(exc)
        except Exception as exc:  # an action's bug must not take the receiver down
            log.exception("action crashed", extra={"fields": {"action": action.name}})
            result, detail = "failed", f"{type(exc).__name__}: {exc}"
        took = time.monotonic() - t0
        self.m_actions.labels(action.name, result).inc()
        self.m_last.labels(action.name).set(time.time())
        self.m_duration.labels(action.name).set(took)
        entry = self.audit.write(decision="result", result=result, detail=detail, duration_seconds=round(took, 3),
                                 dry_run=False, **base)
        log.log(INFO if result == "ok" else WARNING, "action finished",
                extra={"fields": {"action": action.name, "target": target, "result": result, "detail": entry["detail"]}})

    async def drain(self, timeout: float = 5.0) -> None:
        pending = [t for t in self._running.values() if not t.done()]
        if pending:
            await asyncio.wait(pending, timeout=timeout)

    async def close(self) -> None:
        for t in self._running.values():
            t.cancel()
        for a in self.actions.values():
            await a.close()
        self.audit.close()
