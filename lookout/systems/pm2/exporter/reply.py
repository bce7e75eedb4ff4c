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

msgspec is loaded for a large reply only (LARGE, about 40 processes): it pays there, but its
import costs about 1.3 MB of RSS and 10 ms of start-up (it loads decimal, uuid, platform,
inspect), more than it saves on the few apps of the user's Mac Mini. A smaller reply is decoded
by json.loads and cut down to the same fields at once, so the secrets are not kept either way.
"""
from __future__ import annotations

import json
from typing import Any, TypedDict

LARGE = 256 * 1024   # bytes of JSON: msgspec's import pays for itself from about here


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


_decoders: dict[type, Any] = {}


def _typed(raw, shape: type) -> Any:
    import msgspec   # see the module's docstring: large replies only

    decoder = _decoders.get(shape) or _decoders.setdefault(shape, msgspec.json.Decoder(shape))
    try:
        return decoder.decode(raw)
    except msgspec.DecodeError:  # another shape, or JSON that msgspec refuses and json takes (NaN)
        return None


def _cut(value: Any, shape: type) -> Any:
    """`value` (json.loads' output) with only the keys `shape` declares, in place, recursively;
    anything not of the declared shape is left as it is."""
    if shape is Any:
        return value
    fields = getattr(shape, "__annotations__", None)
    if fields is not None:
        if isinstance(value, dict):
            for key in [k for k in value if k not in fields]:
                del value[key]
            for key, sub in fields.items():
                if key in value:
                    value[key] = _cut(value[key], sub)
    elif getattr(shape, "__origin__", None) is list and isinstance(value, list):
        (sub,) = shape.__args__
        value[:] = [_cut(v, sub) for v in value]
    elif getattr(shape, "__origin__", None) is dict and isinstance(value, dict):
        sub = shape.__args__[1]
        for key in value:
            value[key] = _cut(value[key], sub)
    return value


def _decode(raw, shape: type) -> Any:
    if len(raw) >= LARGE:
        typed = _typed(raw, shape)
        if typed is not None:
            return typed
    return _cut(json.loads(bytes(raw)), shape)


def monitor_data(raw: memoryview) -> Any:
    """A getMonitorData reply body, for RpcClient.call's `decode`: {"args": [[process, ...]]}
    with only the fields above, or {"error": ...}. Raises ValueError on bad JSON."""
    return _decode(raw, _Body)


def process_list(raw: bytes) -> Any:
    """`pm2 jlist`'s JSON array the same way. Raises ValueError on bad JSON."""
    return _decode(raw, list[Process])
