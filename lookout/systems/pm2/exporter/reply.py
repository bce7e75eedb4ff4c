"""The fields of PM2's process list that the collectors read, and nothing else (issue 24).

A process in PM2's `getMonitorData` reply (lib/God/ActionMethods.js, the list of
God.getFormatedProcesses() with `monit` added) carries its whole `pm2_env`: every option, the
process environment twice (its keys, and `env`), axm_actions and axm_options: about 6 KB a
process, 1.2 MB at 200 apps, of which these fields are a few hundred bytes. Decoding only them
(msgspec skips the rest without building it) costs a fifth of json.loads' CPU and none of its
memory, and the environment's secrets are never held as Python objects.

The shapes are loose on purpose: a scalar field is `Any`, read by the collectors as before
(`units.number`, `str`, ...). A reply of another shape (a process that is not an object,
pm2_env null, NaN, ...) is decoded whole by json.loads, as it always was, so the collectors'
handling of odd replies does not change with this decoder.
"""
from __future__ import annotations

import json
from typing import Any, TypedDict

import msgspec


# The functional form: the fields are JSON keys, read with dict lookups (units, processes,
# synclog), not attributes.
# One axm_monitor entry (@pm2/io): its stable id, value and unit (processes._AXM).
AxmEntry = TypedDict("AxmEntry", {"type": Any, "value": Any, "unit": Any}, total=False)
Pm2Env = TypedDict("Pm2Env", {
    "name": Any, "pm_id": Any, "status": Any, "restart_time": Any, "unstable_restarts": Any,
    "pm_uptime": Any, "max_memory_restart": Any, "axm_monitor": dict[str, AxmEntry],
    "pm_out_log_path": Any, "pm_err_log_path": Any,  # synclog
}, total=False)
Monit = TypedDict("Monit", {"memory": Any, "cpu": Any}, total=False)
Process = TypedDict("Process", {"name": Any, "pm_id": Any, "pm2_env": Pm2Env, "monit": Monit}, total=False)
# An axon reply body: `args` as the daemon's callback passed them, or `error` (pm2rpc.client).
_Body = TypedDict("_Body", {"args": list[list[Process]], "error": Any}, total=False)


_BODY = msgspec.json.Decoder(_Body)
_LIST = msgspec.json.Decoder(list[Process])


def monitor_data(raw: memoryview) -> Any:
    """A getMonitorData reply body, for RpcClient.call's `decode`: {"args": [[process, ...]]}
    with only the fields above, or {"error": ...}. Raises ValueError on bad JSON."""
    try:
        return _BODY.decode(raw)
    except msgspec.DecodeError:  # another shape, or JSON that msgspec refuses and json takes (NaN)
        return json.loads(bytes(raw))


def process_list(raw: bytes) -> Any:
    """`pm2 jlist`'s JSON array the same way. Raises ValueError on bad JSON."""
    try:
        return _LIST.decode(raw)
    except msgspec.DecodeError:
        return json.loads(raw)
