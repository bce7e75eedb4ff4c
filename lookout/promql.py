"""PromQL rewriting on a maintained parser (promql-parser, the Python binding of GreptimeDB's
Rust parser), instead of hand-written lexers: one copy for the rule and dashboard generators
and their lints.

Rewritten expressions come back in the parser's canonical spelling (`sum by (job)(x)`,
`0.5e3` as `500`): equivalent PromQL, which the tests hand to a real Prometheus. The
parser's printer (0.11) writes string contents unescaped, so an expression with a backslash
(an escaped quote, a regex's `\\d`) is refused rather than rewritten into broken PromQL.
"""
from __future__ import annotations

from collections.abc import Mapping

import promql_parser

Matchers = Mapping[str, tuple[str, str]]   # label -> (operator: = != =~ !~, value)
_OPERATORS = ("=", "!=", "=~", "!~")


def parse(expr: str):
    """The expression's syntax tree; ValueError with the parser's message when it is not PromQL."""
    try:
        return promql_parser.parse(expr)
    except ValueError:
        raise
    except Exception as exc:  # the binding raises its own error types on some inputs
        raise ValueError(f"not PromQL: {expr!r}: {exc}") from None


def _matcher_text(matchers: Matchers) -> str:
    parts = []
    for label, (op, value) in matchers.items():
        if op not in _OPERATORS:
            raise ValueError(f"matcher {label}: operator {op!r} is none of {_OPERATORS}")
        if '"' in value or "\\" in value:
            raise ValueError(f"matcher {label}: a quote or backslash cannot be rewritten: {value!r}")
        parts.append(f'{label}{op}"{value}"')
    return ",".join(parts)


def add_matchers(expr: str, matchers: Matchers) -> str:
    """`expr` with `matchers` added to every vector selector, including those inside range
    selectors, subqueries and function arguments; strings, label lists and durations are
    left alone. A selector that already matches one of these labels keeps its own matcher
    too (both must hold)."""
    extra = _matcher_text(matchers)
    if "\\" in expr or "\\" in extra:
        raise ValueError(f"cannot rewrite PromQL with a backslash (the printer drops escapes): {expr!r}")

    def widen(node):
        if not isinstance(node, promql_parser.VectorSelector):
            return None
        name = node.name or ""
        own = str(node.matchers)            # "{a="b"}" or "{}"
        text = str(node)
        if not text.startswith(name + own):
            raise ValueError(f"unexpected rendering of selector {text!r}")
        inner = own[1:-1]
        rebuilt = f"{name}{{{inner + ',' if inner else ''}{extra}}}{text[len(name + own):]}"
        return promql_parser.parse(rebuilt)

    return str(promql_parser.transform(parse(expr), None, widen))


# The binding's MatchOp is not hashable; its str() is "MatchOp.<member>".
_OPS = {"MatchOp.Equal": "=", "MatchOp.NotEqual": "!=", "MatchOp.Re": "=~", "MatchOp.NotRe": "!~"}


def selectors(expr: str) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """Every vector selector as (metric name or "", [(label, operator, value), ...]), in
    the order they appear; a `__name__` matcher stays among the matchers."""
    found = []

    def visit(node):
        if isinstance(node, promql_parser.VectorSelector):
            found.append((node.name or "", [(m.name, _OPS[str(m.op)], m.value) for m in node.matchers.matchers]))
        return None

    promql_parser.walk(parse(expr), visit, None)
    return found
