"""Reading TBURN's loosely typed JSON values: what is accepted, and that nothing else escapes."""
import math
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lookout.exporters.runtime import fields as values
from lookout.systems.tburn.exporter.collectors import read_breakers
from lookout.systems.tburn.exporter.endpoints import BREAKER_STATES, GOVERNOR_STATES
from .tburn_bodies import any_json


@pytest.mark.parametrize("raw,expected", [
    (12, 12.0), (12.5, 12.5), ("12.5", 12.5), (" 7 ", 7.0), ("-3e2", -300.0), (True, 1.0), (False, 0.0),
])
def test_number_accepts_numbers_numeric_strings_and_booleans(raw, expected):
    assert values.number(raw) == expected


@pytest.mark.parametrize("raw", [None, "", "abc", "NaN", "Infinity", "1e400", "0x10", "1_000", [], {}, [1],
                                 float("nan"), float("inf"), 10**400])
def test_number_refuses_the_rest(raw):
    with pytest.raises(values.FieldProblem):
        values.number(raw)


def test_null_is_its_own_problem():
    with pytest.raises(values.FieldProblem, match="null"):
        values.number(None)


@pytest.mark.parametrize("raw,expected", [
    (True, 1.0), (False, 0.0), ("true", 1.0), ("FALSE", 0.0), (1, 1.0), (0, 0.0), ("yes", 1.0),
])
def test_boolean(raw, expected):
    assert values.boolean(raw) == expected


@pytest.mark.parametrize("raw", [2, -1, "maybe", None, [], {}])
def test_boolean_refuses(raw):
    with pytest.raises(values.FieldProblem):
        values.boolean(raw)


def test_timestamps_in_seconds_milliseconds_and_iso():
    moment = datetime(2026, 1, 13, 10, 0, 0, tzinfo=timezone.utc).timestamp()
    assert values.timestamp(moment) == moment
    assert values.timestamp(moment * 1000) == pytest.approx(moment)
    assert values.timestamp(str(int(moment * 1000))) == pytest.approx(moment)
    assert values.timestamp("2026-01-13T10:00:00.000Z") == moment
    assert values.timestamp("2026-01-13T11:00:00+01:00") == moment
    assert values.timestamp("2026-01-13T10:00:00") == moment  # Node's ISO strings are UTC
    for bad in ("yesterday", "2026-13-45T99:00:00", -5, True, None, {}):
        with pytest.raises(values.FieldProblem):
            values.timestamp(bad)


def test_count_of_a_list_or_a_number():
    assert values.count([3, 7, 9]) == 3
    assert values.count(4) == 4
    assert values.count("4") == 4
    for bad in (-1, True, {"a": 1}, "four"):
        with pytest.raises(values.FieldProblem):
            values.count(bad)


def test_states_ignore_case_and_punctuation():
    # enterprise-shard-orchestrator.ts CircuitState; memory-governor.ts MemoryState.
    assert values.state("HALF_OPEN", BREAKER_STATES) == "half_open"
    assert values.state("halfOpen", BREAKER_STATES) == "half_open"
    assert values.state("CLOSED", BREAKER_STATES) == "closed"
    assert values.state("hibernating", GOVERNOR_STATES) == "hibernating"
    with pytest.raises(values.FieldProblem, match="unknown state"):
        values.state("Melting", GOVERNOR_STATES)


def test_lookup_follows_dotted_paths_and_list_indexes():
    doc = {"a": {"b": [{"c": 5}]}, "x.y": 1}
    assert values.lookup(doc, "a.b.0.c") == 5
    assert values.lookup(doc, "") is doc
    for missing in ("a.z", "a.b.1.c", "a.b.c", "x.y", "a.b.0.c.d"):
        with pytest.raises(values.FieldProblem, match="missing"):
            values.lookup(doc, missing)


def test_breakers_per_shard():
    # sharding-routes.ts GET /circuit-breakers: data.shards = [{shardId, state}]
    raw = [{"shardId": 0, "state": "OPEN"}, {"shardId": 7, "state": "HALF_OPEN"}, {"shardId": 1, "state": "CLOSED"}]
    assert read_breakers(raw, BREAKER_STATES, 64) == ({0: "open", 7: "half_open", 1: "closed"}, "")


def test_breakers_keep_the_readable_and_report_the_rest():
    found, problem = read_breakers([{"shardId": 2, "state": "OPEN"}, {"state": "OPEN"}, {"shardId": "x"},
                                    {"shardId": 2, "state": "CLOSED"}, {"shardId": 3, "state": "??"}],
                                   BREAKER_STATES, 10)
    assert found == {2: "open"}
    assert problem
    found, problem = read_breakers([{"shardId": i, "state": "CLOSED"} for i in range(70)], BREAKER_STATES, 64)
    assert sorted(found) == list(range(64)) and problem == ""  # a label cap, logged, not a lost field
    for bad in ({"0": "OPEN"}, "OPEN", 3):
        with pytest.raises(values.FieldProblem):
            read_breakers(bad, BREAKER_STATES, 64)


READERS = [values.number, values.boolean, values.timestamp, values.count,
           lambda v: values.state(v, GOVERNOR_STATES)]


@settings(max_examples=500)
@given(raw=any_json, path=st.text(max_size=12))
def test_readers_return_clean_values_or_field_problems(raw, path):
    for read in READERS:
        try:
            result = read(raw)
        except values.FieldProblem:
            continue
        assert result in GOVERNOR_STATES if isinstance(result, str) else math.isfinite(result)
    try:
        values.lookup(raw, path)
    except values.FieldProblem:
        pass
    try:
        found, _ = read_breakers(raw, BREAKER_STATES, 5)
        assert len(found) <= 5 and set(found.values()) <= set(BREAKER_STATES)
    except values.FieldProblem:
        pass
