"""Database reconnection episodes, from the lines real Nectar writes (honeycomb-tech/nectar).

Two sources, one format each:
- stdout/stderr with Go's log prefix ("2006/01/02 15:04:05 msg"), where
  database/connection_recovery.go logs "[ConnectionRecovery] Health check failed: ...",
  "Attempting automatic recovery...", "Waiting 2s before reconnect attempt 3/10",
  "Reconnect attempt 2/10 failed: ...", "Database connection established successfully"
  and, when it gives up, "Automatic recovery failed: failed to reconnect after 10 attempts";
- `unified_errors.log` (errors/unified_error_system.go logToFile), one entry a line:
  "[2006-01-02 15:04:05.000] <Type> | <Component>.<Operation> | <message>[ | <details>]",
  where the per-worker connection entries (recovery, health check, retry) carry type
  Connection or Database.

One retry prints two lines ("Waiting ..." then "Reconnect attempt ... failed"), and one
outage prints several: an EPISODE is the run of reconnection lines of one component with no
gap longer than `gap` seconds between them (by the lines' own timestamps), ended early by a
success or a give-up line. A give-up is counted on its own as well.

Nectar's block workers each echo the same outage (nectar 45d9dbda main.go: every worker
logs `DatabaseError("Worker", "Worker<id>.Retry", "connection error at slot N (attempt
k/4): ...")`, written as "[...] Database | Worker.Worker3.Retry | ..."): the worker number
is not a component of its own, so all workers' lines are one component and one outage is
one episode, however many workers echo it.

Blocks Nectar drops (the same worker loop): after its retries, or on an error it does not
retry, a worker logs `ProcessingError("BlockWorker", "Worker<id>", "failed to process block
at slot N after K attempts: ...")`, written as "[...] Processing | BlockWorker.Worker3 |
failed to process block at slot N after K attempts: ...", and moves on to the next block:
that block is not indexed (Nectar resumes from its highest slot, so the gap stays).
"""
from __future__ import annotations

import re
import time
from datetime import datetime

GO_LOG = re.compile(r"^(\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2})(?:\.\d+)? (.*)$")
UNIFIED = re.compile(r"^\[(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)?)\] ([^|]+?) \| ([^|]*?) \| (.*)$")

GIVEUP = re.compile(r"failed to reconnect after \d+ attempts")
# connection_recovery.go's lines of a reconnection in progress.
RECOVERY = re.compile(r"\[ConnectionRecovery\] (Health check failed|Attempting automatic recovery"
                      r"|Waiting \S+ before reconnect attempt|Reconnect attempt \d+/\d+ failed)")
SUCCESS = re.compile(r"(?i)connection established successfully|reconnected successfully|recovery succeeded")
# A unified entry about a reconnection: its type, then words of its component/operation/message.
UNIFIED_TYPES = {"Connection", "Database"}
UNIFIED_RECOVERY = re.compile(r"(?i)reconnect|recover|health ?check|retry|retrying")
# "Worker3" in a component or operation: one of many workers echoing the same outage.
WORKER_ID = re.compile(r"Worker\d+")
DROPPED = re.compile(r"failed to process block at slot \d+ after \d+ attempts")


class EpisodeCounter:
    def __init__(self, gap: float = 60.0):
        self.gap = gap
        self.episodes = 0
        self.giveups = 0
        self.dropped_blocks = 0
        self._last: dict[str, float] = {}   # component -> time of its last reconnection line

    def feed_stdout(self, lines: list[str]) -> None:
        for line in lines:
            m = GO_LOG.match(line)
            when, text = (_parse(m.group(1), "%Y/%m/%d %H:%M:%S"), m.group(2)) if m else (None, line)
            self._event("ConnectionRecovery", when, text, RECOVERY.search(text) is not None)

    def feed_unified(self, lines: list[str]) -> None:
        for line in lines:
            m = UNIFIED.match(line)
            if not m:
                continue  # a stack-trace continuation or a partial line
            stamp, kind, where, message = m.groups()
            if kind.strip() == "Processing" and DROPPED.search(message):
                self.dropped_blocks += 1
                continue
            when = _parse(stamp.split(".")[0], "%Y-%m-%d %H:%M:%S")
            where = WORKER_ID.sub("Worker", where)
            component = where.rsplit(".", 1)[0] or where
            recovering = kind.strip() in UNIFIED_TYPES and UNIFIED_RECOVERY.search(f"{where} {message}") is not None
            self._event(component, when, f"{where} | {message}", recovering)

    def _event(self, component: str, when: float | None, text: str, recovering: bool) -> None:
        now = when if when is not None else time.time()
        if GIVEUP.search(text):
            self.giveups += 1
            if component not in self._last:  # a give-up with no earlier line is an episode too
                self.episodes += 1
            self._last.pop(component, None)
            return
        if SUCCESS.search(text):
            self._last.pop(component, None)
            return
        if not recovering:
            return
        last = self._last.get(component)
        if last is None or now - last > self.gap or now < last - self.gap:
            self.episodes += 1
        self._last[component] = now


def _parse(text: str, fmt: str) -> float | None:
    try:
        return datetime.strptime(text, fmt).timestamp()
    except ValueError:
        return None
