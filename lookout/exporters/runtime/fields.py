"""Reading one value out of an answer (JSON, or Prometheus text) without trusting its shape.

The one copy of the dotted field-path reader, the number/boolean/timestamp/count/state
readers and the true/false word sets, for every domain and the config loader. A Node or Go
service may send a number as 12, 12.5, "12.5", true or null, and a field may move or vanish
between releases: every reader either returns a clean value or raises FieldProblem with a
short reason; nothing else escapes.
"""
from __future__ import annotations

import math
import re
TYPE_CHECKING = False  # typing's own flag, without importing typing (issue 24: start-up)
if TYPE_CHECKING:
    from typing import Any

# Node's Date.now() is in milliseconds; anything past this is not a plausible seconds value
# (year 5138), so a larger number is read as milliseconds.
_MILLIS_ABOVE = 1e11


class FieldProblem(Exception):
    """A field that is absent, null or of a type we cannot read."""


def prometheus_samples(text: str, source: str) -> dict[str, float]:
    """{sample name: value} of the unlabelled samples in Prometheus text format.

    E.g. TBURN's own text (memory-guardian.ts getPrometheusMetrics); labelled samples are
    skipped, since every field read this way is an unlabelled gauge. Read here rather than with
    prometheus_client's parser, whose package import loads ssl and http.server (issue 24):
    a sample line is `name[{labels}] value [timestamp]` (exposition_formats.md).
    """
    from .collector import CollectError
    found: dict[str, float] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        head = line.split(None, 1)[0]
        if "{" in head:
            continue
        parts = line.split()
        try:
            if len(parts) not in (2, 3) or not re.fullmatch(_METRIC_NAME, parts[0]):
                raise ValueError(f"line {number}: expected `name value [timestamp]`")
            found[parts[0]] = float(parts[1])
        except ValueError as exc:
            raise CollectError("parse", f"GET {source}: not Prometheus text ({str(exc)[:120]})") from None
    return found


_METRIC_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"  # compiled at first use (re caches it): start-up


def sample(samples: dict[str, float], name: str) -> Any:
    if name not in samples:
        raise FieldProblem("missing")
    return samples[name]


def lookup(doc: Any, path: str) -> Any:
    """Follow a dotted path (`a.b.0.c`; digits index lists); "" is the whole body."""
    node = doc
    if path == "":
        return node
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        # isdigit() alone admits "²", which int() refuses
        elif isinstance(node, list) and part.isascii() and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise FieldProblem("missing")
    return node


def number(value: Any) -> float:
    """A finite float from a number, a numeric string or a boolean; FieldProblem otherwise."""
    if value is None:
        raise FieldProblem("null")
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        return _finite(value)
    if isinstance(value, str):
        text = value.strip()
        # float() also accepts "nan", "inf" and "1_000"; a JSON producer never means those.
        if re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", text):
            return _finite(text)
    raise FieldProblem(f"not a number ({type(value).__name__})")


def plain_number(value: Any) -> float | None:
    """A JSON number as a finite float (no strings, no booleans), or None: for fields a
    producer always sends as numbers, where "12" would mean a changed API."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        f = float(value)
    except OverflowError:
        return None
    return f if math.isfinite(f) else None


def _finite(value: Any) -> float:
    try:
        f = float(value)
    except (OverflowError, ValueError):
        raise FieldProblem("not a finite number") from None
    if not math.isfinite(f):
        raise FieldProblem("not a finite number")
    return f


TRUE_WORDS = frozenset({"true", "yes", "on", "1"})
FALSE_WORDS = frozenset({"false", "no", "off", "0"})


def boolean(value: Any) -> float:
    """1.0/0.0 from a boolean, 0/1 or one of TRUE_WORDS/FALSE_WORDS; FieldProblem otherwise."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)) and value in (0, 1):
        return float(value)
    if isinstance(value, str) and value.strip().lower() in TRUE_WORDS | FALSE_WORDS:
        return 1.0 if value.strip().lower() in TRUE_WORDS else 0.0
    if value is None:
        raise FieldProblem("null")
    raise FieldProblem(f"not a boolean ({type(value).__name__})")


def timestamp(value: Any) -> float:
    """Unix seconds from epoch seconds, epoch milliseconds or an ISO 8601 string (no zone: UTC)."""
    if isinstance(value, str) and not _looks_numeric(value):
        try:
            return iso_seconds(value)
        except ValueError:
            raise FieldProblem("not a timestamp") from None
    seconds = number(value)
    if isinstance(value, bool) or seconds < 0:
        raise FieldProblem("not a timestamp")
    return seconds / 1000.0 if seconds > _MILLIS_ABOVE else seconds


# The ISO 8601 form services write (Node's toISOString(), Python's isoformat()), read without the
# datetime module: it costs 0.8 MB of resident memory (issue 24). Other forms go to datetime.
# Compiled at first use (re caches it), not at start-up (issue 24).
_ISO = (r"([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[Tt ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,6}))?)?"
                  r"([Zz]|[+-][0-9]{2}:[0-9]{2})?)?")  # ASCII digits only, as datetime reads them
_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def iso_seconds(text: str) -> float:
    """Unix seconds of an ISO 8601 date or date-time, as `datetime.fromisoformat(text).timestamp()`
    gives it, a trailing Z read as UTC and a time without a zone as UTC (Node's toISOString() is
    UTC). ValueError when it is not one."""
    text = text.strip()
    m = re.fullmatch(_ISO, text)
    if m is None:
        return _iso_seconds_datetime(text)
    year, month, day = int(m[1]), int(m[2]), int(m[3])
    hour, minute, second = int(m[4] or 0), int(m[5] or 0), int(m[6] or 0)
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    if not (1 <= year and 1 <= month <= 12 and 1 <= day <= _DAYS[month - 1] + (month == 2 and leap)
            and hour < 24 and minute < 60 and second < 60):
        raise ValueError(f"not a valid date-time: {text!r}")
    micros = int((m[7] or "").ljust(6, "0"))
    offset = 0
    zone = m[8]
    if zone and zone not in "Zz":
        offset = (int(zone[1:3]) * 60 + int(zone[4:6])) * 60  # datetime takes +01:61 as 2 h 1 min
        if offset >= 86400:
            raise ValueError(f"not a valid offset: {text!r}")
        offset = -offset if zone[0] == "-" else offset
    # Days from 1970-01-01 (Howard Hinnant's days_from_civil).
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    days = era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468
    seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset
    return (seconds * 10**6 + micros) / 10**6  # timedelta.total_seconds()'s arithmetic


def _iso_seconds_datetime(text: str) -> float:
    from datetime import datetime, timezone

    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def _looks_numeric(text: str) -> bool:
    try:
        number(text)
        return True
    except FieldProblem:
        return False


def count(value: Any) -> float:
    """A count given either as a number or as the list of the things counted."""
    if isinstance(value, list):
        return float(len(value))
    if isinstance(value, dict):
        raise FieldProblem("not a count (object)")
    n = number(value)
    if n < 0 or isinstance(value, bool):
        raise FieldProblem("not a count")
    return n


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def state(value: Any, states: tuple[str, ...]) -> str:
    """The known state `value` names, ignoring case and punctuation (HALF_OPEN = half-open)."""
    if not isinstance(value, str):
        raise FieldProblem("null" if value is None else f"not a state name ({type(value).__name__})")
    wanted = _squash(value)
    for s in states:
        if _squash(s) == wanted:
            return s
    raise FieldProblem("unknown state")
