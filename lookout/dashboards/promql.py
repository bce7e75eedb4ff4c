"""PromQL text helpers for the dashboards: scoping a catalog expression to the dashboard's
job/instance variables, and turning a state set into one numeric series.

Scoping works on the catalog's own expressions, so a tile shows exactly the quantity its
alert measures; the tests hand every scoped expression to a real Prometheus to parse.
"""
from __future__ import annotations

import re

# The selection every system dashboard applies; "All" is the regex ".*", which also
# matches series without the label (recording rules that aggregated it away).
JOB_INSTANCE = 'job=~"$job",instance=~"$instance"'

_IDENT = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")
# Durations (5m, 1h30m, 100ms) before plain numbers, so "5m" is not split into 5 and m.
_NUMBER = re.compile(r"(?:[0-9]+(?:ms|[smhdwy]))+|0[xX][0-9a-fA-F]+|[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?")
# Keywords that are followed by a parenthesised label list, not by an expression.
_LABEL_LIST = {"by", "without", "on", "ignoring", "group_left", "group_right"}
# Aggregations may be followed by `by (...)` before their parenthesis: `sum by (job) (x)`.
_AGGREGATIONS = {"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
                 "bottomk", "topk", "quantile", "limitk", "limit_ratio"}
_KEYWORDS = _LABEL_LIST | _AGGREGATIONS | {"and", "or", "unless", "bool", "offset", "inf", "nan", "start",
                                           "end", "atan2"}


def scope(expr: str, matchers: str = JOB_INSTANCE) -> str:
    """Add `matchers` to every vector selector in `expr`; functions, label lists,
    strings and durations are left alone."""
    out: list[str] = []
    i, n = 0, len(expr)
    while i < n:
        c = expr[i]
        if c in "\"'`":
            j = _string_end(expr, i)
            out.append(expr[i:j])
        elif c == "{":  # a selector without a metric name: {__name__=~"..."}
            j = _close(expr, i, "{", "}")
            out.append(_add_matchers(expr[i:j], matchers))
        elif c == "[":  # range or subquery: durations only
            j = _close(expr, i, "[", "]")
            out.append(expr[i:j])
        elif c.isdigit() or (c == "." and i + 1 < n and expr[i + 1].isdigit()):
            j = _NUMBER.match(expr, i).end() or i + 1
            out.append(expr[i:j])
        elif _IDENT.match(expr, i):
            j = _IDENT.match(expr, i).end()
            word = expr[i:j]
            k = _skip_space(expr, j)
            follows = expr[k] if k < n else ""
            if word.lower() in _LABEL_LIST and follows == "(":
                j = _close(expr, k, "(", ")")
                out.append(expr[i:j])
            elif word.lower() in _KEYWORDS or follows == "(":
                out.append(word)  # a keyword or a function/aggregation name
            elif follows == "{":
                end = _close(expr, k, "{", "}")
                out.append(word + expr[j:k] + _add_matchers(expr[k:end], matchers))
                j = end
            else:
                out.append(word + "{" + matchers + "}")
        else:
            j = i + 1
            out.append(c)
        i = j
    return "".join(out)


def stateset_index(metric: str, states: list[str], by: tuple[str, ...] = ()) -> str:
    """One series per `by` group whose value is the index of the current state in `states`,
    so a state timeline or a stat tile can map numbers to names and colours."""
    parts = [f'({metric}{{{metric}="{state}"}} == 1) * {index}' for index, state in enumerate(states)]
    group = f" by ({', '.join(by)})" if by else ""
    return f"max{group} (" + " or ".join(parts) + ")"


def _skip_space(s: str, i: int) -> int:
    while i < len(s) and s[i].isspace():
        i += 1
    return i


def _string_end(s: str, i: int) -> int:
    quote, j = s[i], i + 1
    while j < len(s):
        if s[j] == "\\" and quote != "`":
            j += 2
            continue
        if s[j] == quote:
            return j + 1
        j += 1
    raise ValueError(f"unterminated string in PromQL: {s!r}")


def _close(s: str, i: int, open_: str, close: str) -> int:
    """Index just past the bracket matching s[i], skipping quoted strings."""
    depth, j = 0, i
    while j < len(s):
        c = s[j]
        if c in "\"'`":
            j = _string_end(s, j)
            continue
        if c == open_:
            depth += 1
        elif c == close:
            depth -= 1
            if depth == 0:
                return j + 1
        j += 1
    raise ValueError(f"unbalanced {open_}{close} in PromQL: {s!r}")


def _add_matchers(block: str, matchers: str) -> str:
    body = block[1:-1].strip().rstrip(",")
    return "{" + (f"{body},{matchers}" if body else matchers) + "}"
