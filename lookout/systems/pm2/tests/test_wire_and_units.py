"""The AMP/axon codec against PM2's own JavaScript implementation, and unit conversion."""
import io
import json
import os
import subprocess

import pytest

from lookout.pm2rpc import amp
from lookout.systems.pm2.exporter.units import quantity
from lookout.devstack.proc import ROOT

NODE_MODULES = ROOT / "tests" / "node" / "node_modules"


def node(script: str, stdin: bytes = b"") -> bytes:
    # the amp-message package PM2's vendored axon requires
    res = subprocess.run(["node", "-e", script], input=stdin, capture_output=True, timeout=30,
                         env={**os.environ, "NODE_PATH": str(NODE_MODULES)})
    assert res.returncode == 0, res.stderr.decode()
    return res.stdout


def decode(data: bytes) -> list:
    stream = io.BytesIO(data)

    def readexactly(n: int) -> bytes:
        got = stream.read(n)
        if len(got) < n:
            raise amp.IncompleteRead(got, n)
        return got
    return amp.read_message(readexactly)


REQUEST = [{"type": "call", "method": "getMonitorData", "args": [{}]}, "lookout-1:0"]


def test_our_request_decodes_in_node():
    out = node("const M=require('amp-message');const c=[];process.stdin.on('data',d=>c.push(d));"
               "process.stdin.on('end',()=>console.log(JSON.stringify(new M(Buffer.concat(c)).args)))",
               amp.encode(REQUEST))
    assert json.loads(out) == REQUEST


def test_node_reply_decodes_here():
    reply = {"args": [[{"name": "a", "pm_id": 0, "pm2_env": {"status": "online", "note": "é ✓"}}]]}
    out = node(f"const M=require('amp-message');process.stdout.write(new M([{json.dumps(reply)}, "
               f"'lookout-1:0']).toBuffer())")
    assert decode(out) == [reply, "lookout-1:0"]


def test_bad_frames_are_protocol_errors():
    with pytest.raises(amp.ProtocolError, match="version"):
        decode(b"\x22" + b"\x00" * 8)
    with pytest.raises(amp.ProtocolError, match="limit"):
        decode(b"\x11\xff\xff\xff\xff")
    with pytest.raises(amp.ProtocolError, match="JSON"):
        decode(b"\x11\x00\x00\x00\x03j:{")
    with pytest.raises(amp.IncompleteRead):
        decode(b"\x12\x00\x00\x00\x05s:ab")


@pytest.mark.parametrize("value, unit, expected", [
    ("7.23", "MiB", 7.23 * 1024 ** 2),
    (72.54, "%", 0.7254),
    ("0.45", "ms", 0.00045),
    ("12ms", "", 0.012),           # a unit written in the value wins
    ("1.5 s", "ms", 1.5),
    (209715200, "", 209715200),
    ("200MB", "", 200 * 1024 ** 2),  # binary, as Node tooling computes it
    ("3", "", 3.0),
    (2, "KiB", 2048),
])
def test_quantity(value, unit, expected):
    assert quantity(value, unit) == pytest.approx(expected)


@pytest.mark.parametrize("value, unit", [
    (None, ""), (True, ""), ("n/a", ""), ("", ""), ("12 parsecs", ""), ({"a": 1}, ""),
    ("nan", ""), (float("inf"), ""), (5, "furlongs"), ("5m", "s"),  # minutes or MiB? neither
])
def test_quantity_rejects(value, unit):
    assert quantity(value, unit) is None


def test_quantity_keeps_repeated_answers_while_new_values_stream_past(monkeypatch):
    # axm_monitor's heap usage and latency change on every scrape: thousands of values that
    # never come back must not push out the answers for the ones that do (an LRU cache did,
    # and its churn grew the exporter's RSS, issue 24); and what is kept stays bounded.
    from lookout.systems.pm2.exporter import units
    monkeypatch.setattr(units, "_KEPT", {})
    first = quantity("0.50", "ms")
    for i in range(4096):
        assert quantity(f"{i}.25", "MiB") == (i + 0.25) * 1024 ** 2
    assert quantity("0.50", "ms") is first
    assert len(units._KEPT) <= units._KEPT_MAX


@pytest.mark.parametrize("body", [
    b'{"args":[[{"name":"a","pm_id":0,"pm2_env":null}, 5]]}',   # not the shape PM2 sends ...
    b'{"args":[[{"name":"a","pm2_env":{"axm_monitor":{"x":1}},"monit":{"cpu":NaN}}]]}',
    b'{"args":[[{"name":"a","pm2_env":{"pm_uptime":1e400}}]]}',
    b'{"error":{"message":"boom"}}',
])
def test_process_list_of_another_shape_is_decoded_whole(body):
    """... is read as json.loads reads it, so the collectors' handling of odd replies is unchanged."""
    from lookout.systems.pm2.exporter.reply import monitor_data
    assert repr(monitor_data(memoryview(body))) == repr(json.loads(body))


def test_bad_json_is_still_a_protocol_error():
    from lookout.systems.pm2.exporter.reply import monitor_data
    with pytest.raises(amp.ProtocolError, match="JSON"):
        amp.unpack(b'j:{"args": [', monitor_data)


def test_a_small_and_a_large_reply_keep_the_same_fields():
    """A reply under reply.LARGE is cut down after json.loads, a larger one decoded by msgspec:
    either way the process keeps only the fields the collectors read (no `pid`, no `env`)."""
    from lookout.systems.pm2.exporter.reply import LARGE, monitor_data
    proc = {"name": "a", "pm_id": 0, "pid": 42, "monit": {"memory": 1, "cpu": 2},
            "pm2_env": {"status": "online", "env": {"SYNC_DB_PASSWORD": "s3cr3t"},
                        "axm_monitor": {"Heap Size": {"type": "v8/heap/size", "value": "10", "unit": "MiB",
                                                      "historic": True}}}}
    want = {"name": "a", "pm_id": 0, "monit": {"memory": 1, "cpu": 2},
            "pm2_env": {"status": "online",
                        "axm_monitor": {"Heap Size": {"type": "v8/heap/size", "value": "10", "unit": "MiB"}}}}
    for n in (1, LARGE // len(json.dumps(proc)) + 1):
        body = json.dumps({"args": [[proc] * n]}).encode()
        assert (len(body) >= LARGE) == (n > 1)
        assert monitor_data(memoryview(body)) == {"args": [[want] * n]}
