"""Hypothesis strategies for what a TBURN endpoint might answer, from plausible to hostile."""
from __future__ import annotations

import functools
import json

from hypothesis import strategies as st

from lookout.systems.tburn.exporter.endpoints import ALL

MAX_BODY = 64 * 1024  # the fuzz configs set max_body_bytes to this, to keep examples fast

numeric_strings = st.one_of(
    st.integers(-10**6, 10**6).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from(["", " 12 ", "1e400", "-1e400", "NaN", "Infinity", "-0", "0x10", "1_000", "true",
                     "2026-01-13T10:00:00Z", "2026-13-45T99:00:00", "1736762400000", "CLOSED", "half_open"]),
)
leaf = st.one_of(
    st.none(), st.booleans(),
    st.integers(-2**80, 2**80),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12), numeric_strings,
    st.sampled_from(["Normal", "Critical", "hibernating", "OPEN", "HALF-OPEN", "closed", "emergency"]),
)
any_json = st.recursive(leaf, lambda kids: st.lists(kids, max_size=4)
                        | st.dictionaries(st.text(max_size=8), kids, max_size=4), max_leaves=16)
# sharding-routes.ts: data.shards = [{shardId, state}]
breaker = st.fixed_dictionaries({}, optional={"shardId": st.one_of(st.integers(-3, 100), leaf), "state": leaf})
breakers = st.one_of(st.lists(st.one_of(breaker, leaf), max_size=6),
                     st.dictionaries(st.text(max_size=10), st.one_of(leaf, breaker), max_size=6), leaf)


def _nest(path: str, value) -> dict:
    for part in reversed(path.split(".")):
        value = {part: value}
    return value


def plausible(endpoint) -> st.SearchStrategy[dict]:
    """TBURN's envelope with the route's own paths (any absent, any value type) plus extra keys."""
    def merge(a, b):
        for k, v in b.items():
            a[k] = merge(a[k], v) if isinstance(a.get(k), dict) and isinstance(v, dict) else v
        return a

    paths = {f.path: (breakers if f.kind == "breakers" else any_json) for f in endpoint.fields if "." in f.path}
    known = st.fixed_dictionaries({}, optional=paths).map(
        lambda found: {"success": True, "timestamp": 1736762400000,
                       **functools.reduce(merge, (_nest(p, v) for p, v in found.items()), {})})
    return st.builds(lambda known, extra: {**extra, **known}, known,
                     st.dictionaries(st.text(max_size=10), any_json, max_size=3))


def _dumps(doc) -> bytes:
    return json.dumps(doc, allow_nan=True).encode()


HTML = [b"<!DOCTYPE html><html><body><div id=root></div></body></html>",
        b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1>"
        b"</center><hr><center>nginx</center></body></html>",
        b"<h1>Internal Server Error</h1>"]


def body_for(endpoint) -> st.SearchStrategy[bytes]:
    good = plausible(endpoint)
    hostile = st.one_of(
        st.tuples(good.map(_dumps), st.floats(0, 1)).map(lambda t: t[0][: int(len(t[0]) * t[1])]),  # truncated
        any_json.map(_dumps),                                                        # any JSON at all
        st.integers(1, 200_000).map(lambda n: b"[" * n + b"]" * n),                   # deep nesting
        st.integers(1, 50_000).map(lambda n: b'{"a":' * n + b"1" + b"}" * n),
        st.sampled_from([MAX_BODY - 20, MAX_BODY + 1, 4 * MAX_BODY]).map(            # huge
            lambda n: b'{"pad":"' + b"x" * n + b'"}'),
        st.sampled_from(HTML),
        st.binary(max_size=300),
        st.text(max_size=300).map(str.encode),
    )
    # Half the time a body with the right keys, so the per-field readers get most of the work.
    return st.one_of(good.map(_dumps), hostile)


@st.composite
def canned(draw, endpoint):
    from lookout.devstack.fuzz_body_server import Canned
    return Canned(
        body=draw(body_for(endpoint)),
        status=draw(st.sampled_from([200] * 12 + [204, 302, 404, 500, 503])),
        content_type=draw(st.sampled_from(["application/json", "application/json; charset=utf-8",
                                           "text/html", "text/plain", "application/octet-stream"])),
        cut=draw(st.integers(0, 19)) == 0,  # one in twenty: the connection drops mid-body
    )


scenario = st.fixed_dictionaries({e.path: canned(e) for e in ALL})
