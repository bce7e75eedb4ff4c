"""The append-only audit log: one JSON object per line, one line per decision.

Fields: ts (RFC 3339 UTC), decision, action, target, alertname, fingerprint, group_key,
status (of the alert), dry_run, result, detail, duration_seconds; every string passes
through the runtime's redact(), so a known secret never lands on disk. Read it with
`jq`, e.g. `jq -c 'select(.decision=="acted")' remediate-audit.jsonl`.
"""
from __future__ import annotations

import json
import os
import threading
import time
from collections import deque
from pathlib import Path

from lookout.exporters.runtime import redact


def _clean(value):
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    return value


class AuditLog:
    def __init__(self, path: str, recent: int = 50):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self.recent: deque[dict] = deque(self.tail(recent), maxlen=recent)
        # O_APPEND: every write lands at the end, even with another writer; 0600: it names hosts.
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self._file = os.fdopen(fd, "a", encoding="utf-8")

    def write(self, **entry) -> dict:
        entry = _clean({"ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + f".{int(time.time() * 1000) % 1000:03d}Z",
                        "unix": round(time.time(), 3), **entry})
        line = json.dumps(entry, sort_keys=False, default=str)
        with self._lock:
            self._file.write(line + "\n")
            self._file.flush()
            self.recent.append(entry)
        return entry

    def tail(self, n: int) -> list[dict]:
        """The last `n` entries already on disk (for the landing page and the guards after a restart)."""
        if not self.path.exists():
            return []
        out: deque[dict] = deque(maxlen=n)
        with open(self.path, encoding="utf-8", errors="replace") as f:
            for line in f:
                try:
                    out.append(json.loads(line))
                except ValueError:
                    continue  # a torn last line after a crash
        return list(out)

    def close(self) -> None:
        self._file.close()
