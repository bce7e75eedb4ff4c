"""What the demo tells a person, one readable line per event: the answers of `lookout demo
inject|recover|status`, each page as it reaches the pager, and where the demo's servers are.

The control API and the pager answer JSON (lookout/demo/control.py, lookout/demo/webhook.py);
these functions turn those answers into the lines the terminals show.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path


def _clock(ts: float | None) -> str:
    return time.strftime("%H:%M:%S", time.localtime(ts if ts is not None else time.time()))


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds % 3600 == 0 and seconds >= 3600:
        return f"{seconds // 3600}h"
    if seconds % 60 == 0 and seconds >= 60:
        return f"{seconds // 60}m"
    return f"{seconds}s"


def lookout_command() -> str:
    """How to run `lookout` from a new shell: the console script beside this interpreter
    (the checkout's .venv/bin/lookout), by absolute path, since a new shell has not
    activated the virtualenv; `python -m lookout.cli` where no script was installed."""
    script = Path(sys.executable).parent / "lookout"
    if script.is_file() and os.access(script, os.X_OK):
        return str(script)
    return f"{sys.executable} -m lookout.cli"


def inject_line(body: dict) -> str:
    """`POST /api/scenarios/<name>/inject`'s answer -> one line."""
    name = body.get("scenario", "?")
    until = (f"mends itself in {_duration(body['for_seconds'])}" if body.get("for_seconds") is not None
             else f"until `lookout demo recover {name}`")
    expect = body.get("expect") or f"expect {body.get('alert', '?')}"
    return f"{_clock(body.get('injected_at'))}  injected {name} ({body.get('system', '?')}): {expect}; {until}."


def recover_line(body: dict) -> str:
    """`POST /api/recover`'s answer -> one line naming only what was actually restored."""
    what = body.get("recovered", "everything")
    done = body.get("done") or []
    remedied = body.get("remediated") or []
    if not done and remedied:
        return f"{_clock(body.get('at'))}  recover {what}: already mended: {'; '.join(remedied)}."
    if not done:
        return f"{_clock(body.get('at'))}  recover {what}: nothing was broken, nothing changed."
    return f"{_clock(body.get('at'))}  recovered {what}: {'; '.join(done + remedied)}."


def status_line(body: dict, alerts_page: str | None = None) -> str:
    """`GET /api/status`'s answer -> one line: where to look, and what is broken now.
    `alerts_page`: Prometheus's alerts page (prometheus_ui), when the demo runs a Prometheus."""
    urls = body.get("urls", {})
    active = body.get("active")
    parts = []
    if alerts_page:
        parts.append(f"alerts {alerts_page}")
    if "webhook" in urls:
        parts.append(f"pages {urls['webhook']}")
    if active is not None:
        parts.append("broken now: " + (", ".join(active) if active else "nothing"))
    return "demo up: " + " | ".join(parts)


# Labels naming what an alert is about, most specific first (the alert rules' `members`);
# the scrape target's instance when none is set.
MEMBER_LABELS = ("name", "container", "table", "shard", "path", "collector", "field", "component", "instance")


def page_line(entry: dict) -> str:
    """One pager entry (lookout/demo/webhook.py's entries_of) -> `time receiver STATUS alert: summary`."""
    status = entry.get("status", "").upper() or "?"
    labels = entry.get("labels") or {}
    member = next((labels[k] for k in MEMBER_LABELS if labels.get(k)), "")
    about = ", ".join(v for v in (entry.get("severity"), entry.get("system"), member) if v)
    return (f"{_clock(entry.get('received'))}  {entry.get('receiver') or '?':8} {status:8} "
            f"{entry.get('alertname', '?')} ({about}): {entry.get('summary', '')}")


def remediation_line(entry: dict) -> str:
    """One finished remediation (an audit `result` entry) -> the line the terminal prints."""
    from .control import remediation_text
    return (f"{_clock(entry.get('unix'))}  remediate {('OK' if entry.get('result') == 'ok' else 'FAILED'):8} "
            + remediation_text(entry) + ".")


class RemediationFollower:
    """Follows lookout-remediate's audit log (the native demo's): each finished action not
    seen yet, once, so the terminal and the pages receiver say what the demo did and whether
    it worked."""

    def __init__(self, audit_log: Path, webhook_url: str = ""):
        self.path = audit_log
        self.since = time.time()
        self.post_url = webhook_url.rstrip("/") + "/api/remediations" if webhook_url else ""

    def poll(self) -> list[str]:
        from .control import remediations
        new = remediations(self.path, self.since)
        if new:
            self.since = max(e["unix"] for e in new) + 0.001
        for e in new:
            self._post(e)
        return [remediation_line(e) for e in new]

    def _post(self, entry: dict) -> None:
        if not self.post_url:
            return
        req = urllib.request.Request(self.post_url, data=json.dumps(entry).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        try:
            urllib.request.urlopen(req, timeout=5).close()
        except (urllib.error.URLError, OSError):
            pass  # the pager is restarting or gone: the terminal line still says it


class PageFollower:
    """Polls the demo's pager and returns the lines of the pages it has not shown yet, in the
    order they arrived: the demo's own terminal then shows each page and resolution live."""

    def __init__(self, webhook_url: str):
        self.url = webhook_url.rstrip("/") + "/api/notifications"
        self.seen: set[tuple] = set()

    def poll(self) -> list[str]:
        try:
            with urllib.request.urlopen(self.url, timeout=5) as resp:
                entries = json.loads(resp.read())
        except (urllib.error.URLError, OSError, ValueError):
            return []  # the pager is restarting or gone (shutdown): nothing new to show
        new = []
        for e in entries:
            key = (e.get("received"), e.get("receiver"), e.get("fingerprint"), e.get("status"))
            if key not in self.seen:
                self.seen.add(key)
                new.append(e)
        return [page_line(e) for e in sorted(new, key=lambda e: e.get("received") or 0)]


# --- where the servers are ---------------------------------------------------------

def prometheus_ui(base: str) -> str:
    """The alerts page of the Prometheus at `base`: Debian's 2.42 serves only the classic UI
    (/classic/alerts; /alerts answers 404), the official images the new one at /alerts."""
    return base + ("/classic/alerts" if _status(base + "/classic/alerts") == 200 else "/alerts")


def alertmanager_hint(base: str) -> str:
    """Where to see the Alertmanager at `base`'s alerts: Debian's package ships no web UI (its /
    only says so), so the API and the amtool command; otherwise its UI."""
    try:
        with urllib.request.urlopen(base + "/", timeout=5) as resp:
            page = " ".join(resp.read(1 << 20).decode(errors="replace").split())  # the sentence wraps
    except (urllib.error.URLError, OSError):
        page = ""
    if page and "does not include a web application" not in page:
        return f"{base}/#/alerts"
    amtool = shutil.which("amtool") or "amtool"
    return f"{base}/api/v2/alerts  (no web UI in Debian's package; or: {amtool} --alertmanager.url={base} alert query)"


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, OSError):
        return 0
