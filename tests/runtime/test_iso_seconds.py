"""fields.iso_seconds against datetime, the reference it stands in for (issue 24: the datetime module
costs 0.8 MB RSS): what `datetime.fromisoformat(text).timestamp()` gives (a time without a zone
read as UTC, a trailing Z as +00:00), the same float, and ValueError exactly where it raises."""
from __future__ import annotations

from datetime import datetime, timezone

from hypothesis import given, settings, strategies as st

from lookout.exporters.runtime.fields import FieldProblem, iso_seconds, timestamp
import pytest


def reference(text: str) -> float:
    t = text.strip()
    if t.endswith(("Z", "z")):
        t = t[:-1] + "+00:00"
    moment = datetime.fromisoformat(t)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def outcome(fn, text):
    try:
        return fn(text)
    except (ValueError, OverflowError):
        return "refused"


_TEXT = st.builds(
    lambda y, mo, d, sep, h, mi, s, frac, zone, form: [
        f"{y:04d}-{mo:02d}-{d:02d}",
        f"{y:04d}-{mo:02d}-{d:02d}{sep}{h:02d}:{mi:02d}{zone}",
        f"{y:04d}-{mo:02d}-{d:02d}{sep}{h:02d}:{mi:02d}:{s:02d}{frac}{zone}"][form],
    st.one_of(st.integers(1, 9999), st.integers(1969, 2100)), st.integers(0, 13), st.integers(0, 32),
    st.sampled_from("T t"), st.integers(0, 25), st.integers(0, 61), st.integers(0, 61),
    st.one_of(st.just(""), st.from_regex(r"\.[0-9]{1,7}", fullmatch=True)),
    st.one_of(st.sampled_from(["", "Z", "z", "+00:00", "-05:30", "+14:00", "+24:00", "+01:61", "-23:59"]),
              st.from_regex(r"[+-][0-9]{2}:?[0-9]{2}", fullmatch=True)),
    st.integers(0, 2))


@settings(max_examples=3000, deadline=None)
@given(_TEXT)
def test_same_seconds_and_refusals_as_datetime(text):
    assert outcome(iso_seconds, text) == outcome(reference, text)


@pytest.mark.parametrize("text", ["2026-12-07T04:35:43.692Z", "2026-12-07T04:35:43.692+00:00", "2026-12-07",
                                  " 2026-12-07T04:35:43Z ", "2024-02-29T23:59:59.999999-12:00",
                                  "20261207T043543Z", "2026-W49-1", "2026-12-07T04:35:43,5Z", "2026-02-30",
                                  "2026-12-07T24:00:00", "not a date", "", "２０２４-01-01", "2024-01-0１"])
def test_fixed_cases_match_datetime(text):
    assert outcome(iso_seconds, text) == outcome(reference, text)


def test_the_field_reader_reads_iso_text_and_refuses_garbage():
    assert timestamp("1970-01-01T00:01:00Z") == 60.0
    with pytest.raises(FieldProblem):
        timestamp("yesterday")
