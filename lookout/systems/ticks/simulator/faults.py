"""The tick collector's faults (runbook 002's failure modes) and a registry that persists them."""
from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path

from lookout.simulators.common import FaultRegistry, FaultSpec, Param

log = logging.getLogger("tick_collector")

FAULTS = (
    FaultSpec("stall", "The WebSocket goes silent: no ticks, the process keeps running.", {}),
    FaultSpec("slow", "Fewer ticks arrive.", {
        "ticks_per_minute": Param(float, 80.0, "pace while slow", minimum=0.0)}),
    FaultSpec("crash-loop", "The collector dies shortly after each start (exit 1); Docker restarts it.", {
        "run_seconds": Param(float, 3.0, "seconds each run lasts before the crash", minimum=0.5)}),
    FaultSpec("unhealthy", "The process runs but fails Docker's HEALTHCHECK.", {}),
    FaultSpec("error-spike", "ERROR lines in the log.", {
        "per_minute": Param(float, 300.0, "ERROR lines per minute", minimum=0.0)}),
    FaultSpec("reconnect-storm", "The WebSocket drops and reconnects over and over.", {
        "per_minute": Param(float, 6.0, "disconnects per minute", minimum=0.0)}),
    FaultSpec("write-failures", "The database answers but a flush's writes fail 3 times and the flush is "
              "dropped, as scripts/tick_writer.py and ws_tick_collector.py _flush_buffers() log it; the first at "
              "once, then one every `every_seconds` (the rest are written).", {
        "every_seconds": Param(float, 600.0, "seconds between lost flushes", minimum=1.0)}),
)


# A silent WebSocket is the one fault a restart cures: the new process opens a new
# connection (runbook 002's watchdog restarts the collector for exactly this). The others
# describe the environment (the exchange, the network, the host) and outlive a restart.
CURED_BY_RESTART = ("stall",)


class PersistentFaults(FaultRegistry):
    """A FaultRegistry whose active faults are kept in a JSON file, with wall-clock expiry,
    and read back at start: a fault injected into the collector outlives its restarts,
    except those in CURED_BY_RESTART."""

    def __init__(self, specs, path: str | None):
        super().__init__(specs)
        self.path = Path(path) if path else None
        self._load()

    def _load(self) -> None:
        if not self.path or not self.path.exists():
            return
        try:
            saved = json.loads(self.path.read_text() or "{}")
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable fault state %s: %s", self.path, exc)
            return
        now = time.time()
        for name, item in saved.items():
            if name in CURED_BY_RESTART:
                continue
            until = item.get("until")
            if until is not None and until <= now:
                continue
            body = dict(item.get("params") or {})
            if until is not None:
                body["for"] = until - now
            try:
                super().inject(name, body)
            except ValueError as exc:
                log.warning("ignoring saved fault %s: %s", name, exc)

    def _save(self) -> None:
        if not self.path:
            return
        offset = time.time() - self.clock()
        state = {f.spec.name: {"params": f.params, "until": None if f.until is None else f.until + offset}
                 for f in self.active()}
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state))
        os.replace(tmp, self.path)

    def inject(self, name, body=None):
        fault = super().inject(name, body)
        self._save()
        return fault

    def clear(self, name):
        cleared = super().clear(name)
        self._save()
        return cleared

    def clear_all(self):
        n = super().clear_all()
        self._save()
        return n
