"""A reader for the YAML that configuration files use, giving what PyYAML's SafeLoader gives.

Why not PyYAML: importing it costs an exporter about 1.35 MB of RSS and 15 ms of start-up, and
issue 24's footprint targets leave no room for it. The exporters read two small files (their
configuration and exporter-toolkit's web-config.yml); everything else in Lookout keeps PyYAML.

`load(text)` -> dict | list | str | int | float | bool | None | datetime.date/datetime, built
exactly as `yaml.safe_load` builds it for the subset below. The scanning rules for plain, quoted
and block scalars are PyYAML 6's own (yaml/scanner.py), and the implicit types are its YAML 1.1
resolver (yaml/resolver.py) and SafeConstructor, so a value never differs from PyYAML's; the
tests check this against PyYAML itself.

Read: block mappings and sequences (compact `- key: v` items, sequences indented or not under
their key), flow collections (`[a, b]`, `{a: 1, b: [2]}`), plain, 'single' and "double" quoted
scalars (escapes, line folding), literal and folded block scalars (`|`, `>`, chomping and
indentation indicators), comments, a leading `---` and a trailing `...`.

Refused with YAMLError naming the line (never misread): anchors and aliases, tags, explicit
(`?`) and complex keys, merge keys (`<<`), `key: value` pairs inside `[...]`, directives, more
than one document, tabs outside quoted strings, comments and block scalars (PyYAML refuses them
too), line breaks other than LF/CRLF/CR, characters YAML does not allow, duplicate keys, and
anything else PyYAML itself refuses. LimitError when the nesting or node count passes the
caller's limits (checked as the document is read: nothing past them is built).
"""
from __future__ import annotations

import re
TYPE_CHECKING = False  # typing's own flag, without importing typing (issue 24: start-up)
if TYPE_CHECKING:
    from typing import Any

__all__ = ["LimitError", "YAMLError", "load"]


class YAMLError(ValueError):
    """The document is not YAML, or not the subset read here. `line` is 1-based; `problem`
    never quotes the document (it may hold a secret), except a duplicate key's name."""

    def __init__(self, line: int, problem: str):
        super().__init__(f"line {line}: {problem}")
        self.line = line
        self.problem = problem


class LimitError(YAMLError):
    """Nested deeper than max_depth (`limit == "depth"`) or more than max_nodes values ("nodes")."""

    def __init__(self, line: int, limit: str):
        super().__init__(line, f"more than the allowed {limit}")
        self.limit = limit


# PyYAML's reader refuses these (yaml/reader.py NON_PRINTABLE); NEL, LS and PS are line breaks
# to PyYAML, refused here rather than given a second line-break rule.
# The complement of NON_PRINTABLE's class, plus LS and PS: a small class compiles in a tenth of
# the time of the large one (start-up). Its ASCII part alone compiles in a tenth of that again
# (about 0.1 ms against 0.7-1.1): an ASCII file, as configurations mostly are, is searched with
# it, and the whole class is compiled for the first file that is not.
_NOT_ALLOWED_ASCII = re.compile("[\x00-\x08\x0B\x0C\x0E-\x1F\x7F]")
_NOT_ALLOWED = "[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F\uD800-\uDFFF\uFFFE\uFFFF\u2028\u2029]"
_WS = "\0 \t\n"  # what may follow an indicator (PyYAML: '\0 \t\r\n\x85\u2028\u2029', CR folded)
_SKIP = re.compile(r"(?:[ \n]+|#[^\n\0]*)*")
# A run of a plain scalar's characters up to a space, a break, ': ' (and in flow context
# ',?[]{}' and ':' before one of them): PyYAML's scan_plain inner loop.
_PLAIN_BLOCK = re.compile(r"(?:[^\0 \t\n:]|:(?![\0 \t\n]))*")
# These two are compiled at their first use (re's cache): a file without flow collections or
# quoted scalars, as configurations mostly are, needs neither (start-up, issue 24).
_PLAIN_FLOW = r"(?:[^\0 \t\n:,?\[\]{}]|:(?![\0 \t\n,\[\]{}]))*"
_QUOTED_RUN = "[^'\"\\\\\0 \t\n]*"
_NOT_PLAIN_START = frozenset("\0 \t\n-?:,[]{}#&*!|>'\"%@`")

_ESCAPES = {"0": "\0", "a": "\x07", "b": "\x08", "t": "\t", "\t": "\t", "n": "\n", "v": "\x0b",
            "f": "\x0c", "r": "\r", "e": "\x1b", " ": " ", '"': '"', "\\": "\\", "/": "/",
            "N": "\x85", "_": "\xa0", "L": "\u2028", "P": "\u2029"}
_ESCAPE_CODES = {"x": 2, "u": 4, "U": 8}
_HEX = frozenset("0123456789ABCDEFabcdef")

def _lazy(pattern: str):
    """`re.compile(pattern, re.X).match`, compiled at its first use: a configuration whose plain
    scalars need none of these rules (or only Resolver.resolve's exact shortcuts) never pays for
    compiling them, about 8 million instructions (4 ms) of start-up (issue 24)."""
    compiled = []

    def match(text: str):
        if not compiled:
            compiled.append(re.compile(pattern, re.X))
        return compiled[0].match(text)
    return match


# yaml/resolver.py, in its order, with the first characters each rule is tried for. The bool,
# null, merge and value rules list exact spellings: sets here, not regexes (start-up).
_BOOL_WORDS = frozenset("yes Yes YES no No NO true True TRUE false False FALSE on On ON off Off OFF".split())
_NULL_WORDS = frozenset("~ null Null NULL".split())
_RESOLVERS = [
    ("bool", _BOOL_WORDS.__contains__, "yYnNtTfFoO"),
    ("float", _lazy(r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?
                    |\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
                    |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
                    |[-+]?\.(?:inf|Inf|INF)
                    |\.(?:nan|NaN|NAN))$"""), "-+0123456789."),
    ("int", _lazy(r"""^(?:[-+]?0b[0-1_]+
                    |[-+]?0[0-7_]+
                    |[-+]?(?:0|[1-9][0-9_]*)
                    |[-+]?0x[0-9a-fA-F_]+
                    |[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$"""), "-+0123456789"),
    ("merge", "<<".__eq__, "<"),
    ("null", _NULL_WORDS.__contains__, "~nN"),
    ("timestamp", _lazy(r"""^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
                    |[0-9][0-9][0-9][0-9] -[0-9][0-9]? -[0-9][0-9]?
                     (?:[Tt]|[ \t]+)[0-9][0-9]?
                     :[0-9][0-9] :[0-9][0-9] (?:\.[0-9]*)?
                     (?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$"""), "0123456789"),
    ("value", "=".__eq__, "="),
]
_BY_FIRST: dict[str, list] = {}
for _kind, _matches, _first in _RESOLVERS:
    for _ch in _first:
        _BY_FIRST.setdefault(_ch, []).append((_kind, _matches))
_BOOLS = {"yes": True, "no": False, "true": True, "false": False, "on": True, "off": False}
_INF = float("inf")
_NAN = float("nan")  # one object, as SafeConstructor's nan_value: `.nan` twice is a duplicate key
_TIMESTAMP = r"""^(?P<year>[0-9][0-9][0-9][0-9])
                -(?P<month>[0-9][0-9]?)
                -(?P<day>[0-9][0-9]?)
                (?:(?:[Tt]|[ \t]+)
                (?P<hour>[0-9][0-9]?)
                :(?P<minute>[0-9][0-9])
                :(?P<second>[0-9][0-9])
                (?:\.(?P<fraction>[0-9]*))?
                (?:[ \t]*(?P<tz>Z|(?P<tz_sign>[-+])(?P<tz_hour>[0-9][0-9]?)
                (?::(?P<tz_minute>[0-9][0-9]))?))?)?$"""  # compiled (re caches it) when a timestamp is read

_TAB = "a tab character here (YAML allows tabs only inside quoted strings, comments and block scalars)"
_MAX_KEY = 1024  # PyYAML's longest simple key


def load(text: str, *, max_depth: int = 100, max_nodes: int = 1_000_000) -> Any:
    """The value of the one YAML document in `text` (None for an empty one), as yaml.safe_load
    would give it. Raises YAMLError (a ValueError) naming the line of the first problem, and
    LimitError past max_depth levels of nesting (which also bounds the recursion) or max_nodes
    keys, values and collections."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    bad = _NOT_ALLOWED_ASCII.search(text) if text.isascii() else re.search(_NOT_ALLOWED, text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        raise YAMLError(line, f"character U+{ord(bad.group()):04X} is not allowed in YAML"
                        if bad.group() not in "\x85\u2028\u2029" else "only LF, CRLF and CR line breaks are read")
    return _Reader(text, max_depth, max_nodes).document()


class _Reader:
    def __init__(self, text: str, max_depth: int, max_nodes: int):
        self.s = text + "\0"
        self.i = 0
        self.end = 0  # just past the last character of the node read last
        self.max_depth = max_depth
        self.max_nodes = max_nodes
        self.nodes = 0

    # Positions and errors.

    def line(self, pos: int) -> int:
        return self.s.count("\n", 0, pos) + 1

    def col(self, pos: int) -> int:
        return pos - self.s.rfind("\n", 0, pos) - 1

    def fail(self, problem: str, pos: int | None = None) -> YAMLError:
        return YAMLError(self.line(self.i if pos is None else pos), problem)

    def count(self, depth: int, pos: int) -> None:
        self.nodes += 1
        if depth > self.max_depth:
            raise LimitError(self.line(pos), "depth")
        if self.nodes > self.max_nodes:
            raise LimitError(self.line(pos), "nodes")

    def marker(self, pos: int) -> bool:
        """A document marker (`---` or `...` at the start of a line) at pos."""
        s = self.s
        return s.startswith(("---", "..."), pos) and s[pos + 3] in _WS and (pos == 0 or s[pos - 1] == "\n")

    def skip(self) -> None:
        """Past spaces, line breaks and comments (a '#' not inside a scalar starts one)."""
        self.i = _SKIP.match(self.s, self.i).end()
        if self.s[self.i] == "\t":
            raise self.fail(_TAB)

    def newline_between(self, start: int, stop: int) -> bool:
        return self.s.find("\n", start, stop) >= 0

    # Documents and block collections.

    def document(self) -> Any:
        s = self.s
        self.skip()
        if s[self.i] == "%":
            raise self.fail("directives (%...) are not supported")
        explicit = self.marker(self.i) and s[self.i] == "-"
        if self.marker(self.i) and not explicit:
            raise self.fail("a '...' document end with no document before it")
        if explicit:
            self.i += 3
        value = self.node(-1, 0, compact_ok=not explicit, indentless_ok=False)
        self.skip()
        ended = self.marker(self.i) and s[self.i] == "."
        if ended:
            self.i += 3
            self.skip()
        if s[self.i] != "\0":
            if ended or self.marker(self.i) or s[self.i] == "%":
                raise self.fail("more than one document; a configuration file holds one")
            raise self.fail("unexpected content after the value" if not self.newline_between(self.end, self.i)
                            else "unexpected content (check the indentation)")
        return value

    def node(self, indent: int, depth: int, compact_ok: bool, indentless_ok: bool) -> Any:
        """The node after an indicator ('key:', '- ', '---' or the document's start), in a block
        collection at column `indent`. compact_ok: a block collection may start on this line
        (after '- '); indentless_ok: a '- ' sequence may sit at the key's own column."""
        s = self.s
        start = self.i
        self.skip()
        i = self.i
        c = s[i]
        if c == "\0" or self.marker(i):
            return self.empty(start, depth)
        col = self.col(i)
        if self.newline_between(start, i):
            if col <= indent:
                if indentless_ok and col == indent and c == "-" and s[i + 1] in _WS:
                    return self.block_sequence(col, depth)
                return self.empty(start, depth)
            compact_ok = True
        if c == "-" and s[i + 1] in _WS:
            if not compact_ok:
                raise self.fail("a '- ' sequence cannot start on the line of its key; start it on the next line")
            return self.block_sequence(col, depth)
        if c in "[{":
            value = self.flow(depth)
            j = self.i
            while s[j] == " ":
                j += 1
            if s[j] == ":" and s[j + 1] in _WS:
                raise self.fail("a [...] or {...} used as a key is not supported", j)
            return value
        if c in "|>":
            self.count(depth, i)
            return self.block_scalar(indent)
        text, plain = self.scalar(indent, flow=False)
        j = self.i
        while s[j] == " ":
            j += 1
        if s[j] == ":" and s[j + 1] in _WS:
            if not compact_ok:
                raise self.fail("a mapping cannot start on the line of its key (a ': ' inside a value must be quoted)", j)
            return self.block_mapping(col, depth, text, plain, i, j)
        self.count(depth, i)
        return self.resolve(text, i) if plain else text

    def empty(self, start: int, depth: int) -> None:
        self.count(depth, start)
        self.end = start
        return None

    def block_mapping(self, col: int, depth: int, text: str, plain: bool, kpos: int, colon: int) -> dict:
        s = self.s
        self.count(depth, kpos)
        result: dict = {}
        while True:
            if self.newline_between(kpos, colon):
                raise self.fail("a key must fit on one line", kpos)
            if colon - kpos > _MAX_KEY:
                raise self.fail(f"a key longer than {_MAX_KEY} characters", kpos)
            self.count(depth + 1, kpos)
            key = self.resolve(text, kpos) if plain else text
            self.i = colon + 1
            value = self.node(col, depth + 1, compact_ok=False, indentless_ok=True)
            if key in result:
                raise self.fail(f"duplicate key {key!r}", kpos)
            result[key] = value
            last = self.end
            if not self.next_item(col, last):
                break
            kpos = self.i
            c = s[kpos]
            if c == "-" and s[kpos + 1] in _WS:
                raise self.fail("a '- ' item where a 'key:' was expected (check the indentation)")
            if c in "[{":
                raise self.fail("a [...] or {...} used as a key is not supported")
            text, plain = self.scalar(col, flow=False)
            colon = self.i
            while s[colon] == " ":
                colon += 1
            if not (s[colon] == ":" and s[colon + 1] in _WS):
                raise self.fail("expected 'key: value' (a ':' followed by a space)", kpos)
        self.end = last
        return result

    def block_sequence(self, col: int, depth: int) -> list:
        s = self.s
        self.count(depth, self.i)
        result = []
        while True:
            self.i += 1  # the '-'
            result.append(self.node(col, depth + 1, compact_ok=True, indentless_ok=False))
            last = self.end
            if not self.next_item(col, last) or not (s[self.i] == "-" and s[self.i + 1] in _WS):
                break
        self.end = last
        return result

    def next_item(self, col: int, last: int) -> bool:
        """After an entry of a block collection at column `col`: whether another begins (at
        self.i), False at its end. The next token must be on a later line, not deeper."""
        self.skip()
        i = self.i
        if self.s[i] == "\0" or self.marker(i):
            return False
        if not self.newline_between(last, i):
            raise self.fail("unexpected content after the value (quote a value that is one string)")
        here = self.col(i)
        if here > col:
            raise self.fail("unexpected indentation")
        return here == col

    # Flow collections.

    def flow_skip(self, opened: int) -> None:
        self.skip()
        i = self.i
        if self.s[i] == "\0":
            raise self.fail(f"the {self.s[opened]} opened on this line is never closed", opened)
        if self.marker(i):
            raise self.fail(f"a document marker inside the {self.s[opened]} opened at line {self.line(opened)}")

    def flow(self, depth: int) -> list | dict:
        s = self.s
        opened = self.i
        self.count(depth, opened)
        self.i += 1
        if s[opened] == "[":
            items = []
            while True:
                self.flow_skip(opened)
                if s[self.i] == "]":
                    break
                items.append(self.flow_node(depth + 1))
                self.flow_skip(opened)
                if s[self.i] == ":":
                    raise self.fail("a 'key: value' pair inside [...] is not supported; use {...}")
                if s[self.i] == ",":
                    self.i += 1
                elif s[self.i] != "]":
                    raise self.fail("expected ',' or ']'")
        else:
            items = {}
            while True:
                self.flow_skip(opened)
                if s[self.i] == "}":
                    break
                kpos = self.i
                if s[kpos] in "[{":
                    raise self.fail("a [...] or {...} used as a key is not supported")
                key = self.flow_node(depth + 1)
                if self.newline_between(kpos, self.end):
                    raise self.fail("a key must fit on one line", kpos)
                self.flow_skip(opened)
                value = None
                if s[self.i] == ":":
                    self.i += 1
                    self.flow_skip(opened)
                    if s[self.i] in ",}":
                        self.count(depth + 1, self.i)
                    else:
                        value = self.flow_node(depth + 1)
                        self.flow_skip(opened)
                else:
                    self.count(depth + 1, self.i)
                if key in items:
                    raise self.fail(f"duplicate key {key!r}", kpos)
                items[key] = value
                if s[self.i] == ",":
                    self.i += 1
                elif s[self.i] != "}":
                    raise self.fail("expected ',' or '}'")
        self.i += 1
        self.end = self.i
        return items

    def flow_node(self, depth: int) -> Any:
        i = self.i
        if self.s[i] in "[{":
            return self.flow(depth)
        text, plain = self.scalar(-1, flow=True)
        self.count(depth, i)
        return self.resolve(text, i) if plain else text

    # Scalars.

    def scalar(self, indent: int, flow: bool) -> tuple[str, bool]:
        """(text, plain) of the quoted or plain scalar at self.i; refuses any other indicator."""
        s = self.s
        i = self.i
        c = s[i]
        if c in "'\"":
            return self.quoted(), False
        if c not in _NOT_PLAIN_START or (s[i + 1] not in _WS and (c == "-" or (not flow and c in "?:"))):
            return self.plain(indent, flow), True
        if c in "|>":
            problem = ("a block scalar (| or >) cannot be inside [...] or {...}" if flow
                       else "a block scalar (| or >) must start on the line of its 'key:' or '- '")
        else:
            problem = _REFUSED.get(c) or (f"unexpected '{c}'" if c in ",[]{}" else
                                          f"'{c}' cannot start a value here; quote the value")
        raise self.fail(problem)

    def plain(self, indent: int, flow: bool) -> str:
        """PyYAML's scan_plain: runs joined by folded spaces; a continuation line must be indented
        past the enclosing block collection (`indent`) in block context."""
        s = self.s
        run = re.compile(_PLAIN_FLOW) if flow else _PLAIN_BLOCK
        i = self.i
        chunks: list[str] = []
        spaces: list[str] | None = []
        while s[i] != "#":
            stop = run.match(s, i).end()
            if stop == i:
                break
            chunks.extend(spaces)
            chunks.append(s[i:stop])
            i = self.end = stop
            spaces, i = self.plain_spaces(i)
            if not spaces or s[i] == "#" or (not flow and self.col(i) <= indent):
                break
        self.i = i
        return "".join(chunks)

    def plain_spaces(self, i: int) -> tuple[list[str] | None, int]:
        s = self.s
        j = i
        while s[j] == " ":
            j += 1
        if s[j] != "\n":
            return ([s[i:j]] if j > i else []), j
        j += 1
        if self.marker(j):
            return None, j
        breaks = []
        while s[j] in " \n":
            if s[j] == " ":
                j += 1
            else:
                breaks.append("\n")
                j += 1
                if self.marker(j):
                    return None, j
        return (breaks or [" "]), j

    def quoted(self) -> str:
        """PyYAML's scan_flow_scalar: escapes in "...", '' in '...', lines folded."""
        s = self.s
        start = self.i
        quote = s[start]
        double = quote == '"'
        chunks: list[str] = []
        i = self.quoted_run(start + 1, double, chunks, start)
        while s[i] != quote:
            # Whitespace, then a line break (folded) or more text.
            j = i
            while s[j] in " \t":
                j += 1
            if s[j] == "\0":
                raise self.fail("the quoted string opened on this line is never closed", start)
            if s[j] == "\n":
                breaks, j = self.quoted_breaks(j + 1, start)
                chunks.extend(breaks or [" "])
            else:
                chunks.append(s[i:j])
            i = self.quoted_run(j, double, chunks, start)
        self.i = self.end = i + 1
        return "".join(chunks)

    def quoted_run(self, i: int, double: bool, chunks: list[str], start: int) -> int:
        s = self.s
        run = re.compile(_QUOTED_RUN)
        while True:
            stop = run.match(s, i).end()
            if stop > i:
                chunks.append(s[i:stop])
                i = stop
            c = s[i]
            if not double and c == "'" and s[i + 1] == "'":
                chunks.append("'")
                i += 2
            elif (double and c == "'") or (not double and c in '"\\'):
                chunks.append(c)
                i += 1
            elif double and c == "\\":
                c = s[i + 1]
                if c in _ESCAPES:
                    chunks.append(_ESCAPES[c])
                    i += 2
                elif c in _ESCAPE_CODES:
                    digits = s[i + 2:i + 2 + _ESCAPE_CODES[c]]
                    if len(digits) < _ESCAPE_CODES[c] or not set(digits) <= _HEX:
                        raise self.fail(f"\\{c} must be followed by {_ESCAPE_CODES[c]} hexadecimal digits", i)
                    code = int(digits, 16)
                    if code > 0x10FFFF:
                        raise self.fail("an escaped character beyond U+10FFFF", i)
                    chunks.append(chr(code))
                    i += 2 + len(digits)
                elif c == "\n":
                    breaks, i = self.quoted_breaks(i + 2, start)
                    chunks.extend(breaks)
                else:
                    raise self.fail("an unknown escape sequence in a double-quoted string", i)
            else:
                return i

    def quoted_breaks(self, i: int, start: int) -> tuple[list[str], int]:
        s = self.s
        breaks = []
        while True:
            if self.marker(i):
                raise self.fail(f"a document marker inside the quoted string opened at line {self.line(start)}", i)
            while s[i] in " \t":
                i += 1
            if s[i] != "\n":
                return breaks, i
            breaks.append("\n")
            i += 1

    def block_scalar(self, indent: int) -> str:
        """PyYAML's scan_block_scalar (its folding rule included), in a block collection at
        column `indent`."""
        s = self.s
        head = self.i
        folded = s[head] == ">"
        i = head + 1
        chomping = increment = None
        for _ in range(2):
            c = s[i]
            if c in "+-" and chomping is None:
                chomping = c == "+"
                i += 1
            elif c in "0123456789" and increment is None:
                if c == "0":
                    raise self.fail("a block scalar's indentation indicator must be 1-9", i)
                increment = int(c)
                i += 1
        if s[i] not in "\0 \n":
            raise self.fail("expected chomping or indentation indicators after '|' or '>'", i)
        while s[i] == " ":
            i += 1
        if s[i] == "#":
            i = s.find("\n", i)
            if i < 0:
                i = len(s) - 1
        if s[i] not in "\0\n":
            raise self.fail("expected a comment or a line break after '|' or '>'", i)
        self.end = i
        if s[i] == "\n":
            i += 1
        min_indent = max(indent + 1, 1)
        if increment is None:
            breaks, max_indent, i = self.block_indentation(i)
            width = max(min_indent, max_indent)
        else:
            width = min_indent + increment - 1
            breaks, i = self.block_breaks(i, width)
        chunks: list[str] = []
        line_break = ""
        while self.col(i) == width and s[i] != "\0":
            chunks.extend(breaks)
            leading_non_space = s[i] not in " \t"
            stop = s.find("\n", i)
            if stop < 0:
                stop = len(s) - 1
            chunks.append(s[i:stop])
            i = stop
            line_break = ""
            if s[i] == "\n":
                line_break = "\n"
                i += 1
            breaks, i = self.block_breaks(i, width)
            if self.col(i) == width and s[i] != "\0":
                if folded and line_break == "\n" and leading_non_space and s[i] not in " \t":
                    if not breaks:
                        chunks.append(" ")
                else:
                    chunks.append(line_break)
            else:
                break
        if chomping is not False:
            chunks.append(line_break)
        if chomping is True:
            chunks.extend(breaks)
        self.i = i
        return "".join(chunks)

    def block_indentation(self, i: int) -> tuple[list[str], int, int]:
        s = self.s
        breaks = []
        max_indent = 0
        col = self.col(i)
        while s[i] in " \n":
            if s[i] == "\n":
                breaks.append("\n")
                col = 0
            else:
                col += 1
                max_indent = max(max_indent, col)
            i += 1
        return breaks, max_indent, i

    def block_breaks(self, i: int, width: int) -> tuple[list[str], int]:
        s = self.s
        breaks = []
        col = self.col(i)
        while col < width and s[i] == " ":
            i += 1
            col += 1
        while s[i] == "\n":
            breaks.append("\n")
            i += 1
            col = 0
            while col < width and s[i] == " ":
                i += 1
                col += 1
        return breaks, i

    # Implicit types (YAML 1.1, as SafeLoader).

    def resolve(self, text: str, pos: int) -> Any:
        if not text:
            return None
        if text.isascii() and text.replace(".", "").isdigit():
            # Digits and dots, decided without the float, int and timestamp regexes (same answer):
            # a timestamp needs '-', the int rules '0b', '0x' or ':' beyond plain digits, and the
            # float rule that starts with a digit takes exactly one '.'.
            dots = text.count(".")
            if not dots:
                if text == "0" or text[0] != "0" or all(c in "01234567" for c in text):
                    return self._read("int", text, pos)
                return text  # 08: no rule matches
            if dots == 1 and text[0] != ".":
                return self._read("float", text, pos)
            if dots > 1:
                return text  # 127.0.0.1
        for kind, matches in _BY_FIRST.get(text[0], ()):
            if matches(text):
                break
        else:
            return text
        return self._read(kind, text, pos)

    def _read(self, kind: str, text: str, pos: int) -> Any:
        try:
            if kind == "bool":
                return _BOOLS[text.lower()]
            if kind == "null":
                return None
            if kind == "int":
                return _int(text)
            if kind == "float":
                return _float(text)
            if kind == "timestamp":
                return _timestamp(text)
        except (ValueError, OverflowError, AttributeError):
            raise self.fail(f"a {kind} that cannot be read (quote it if it is text)", pos) from None
        if kind == "merge":
            raise self.fail("merge keys (<<) are not supported", pos)
        raise self.fail("a plain '=' is not a value YAML 1.1 can read; quote it", pos)


_REFUSED = {
    "&": "anchors (&name) are not supported",
    "*": "aliases (*name) are not supported",
    "!": "tags (!name) are not supported",
    "?": "explicit keys ('? key') are not supported",
    ":": "a ':' with no key before it",
    "#": "a comment where a value was expected",
    "\t": _TAB,
}


def _int(text: str) -> int:
    """SafeConstructor.construct_yaml_int."""
    value = text.replace("_", "")
    sign = -1 if value[0] == "-" else 1
    if value[0] in "+-":
        value = value[1:]
    if value == "0":
        return 0
    if value.startswith("0b"):
        return sign * int(value[2:], 2)
    if value.startswith("0x"):
        return sign * int(value[2:], 16)
    if value[0] == "0":
        return sign * int(value, 8)
    if ":" in value:
        total = 0
        for part in value.split(":"):
            total = total * 60 + int(part)
        return sign * total
    return sign * int(value)


def _float(text: str) -> float:
    """SafeConstructor.construct_yaml_float."""
    value = text.replace("_", "").lower()
    sign = -1 if value[0] == "-" else 1
    if value[0] in "+-":
        value = value[1:]
    if value == ".inf":
        return sign * _INF
    if value == ".nan":
        return _NAN
    if ":" in value:
        digits = [float(part) for part in value.split(":")]
        digits.reverse()
        base, total = 1, 0.0
        for digit in digits:
            total += digit * base
            base *= 60
        return sign * total
    return sign * float(value)


def _timestamp(text: str) -> Any:
    """SafeConstructor.construct_yaml_timestamp: a date, or a datetime (aware when zoned)."""
    import datetime  # only a file that holds a timestamp pays for it

    values = re.match(_TIMESTAMP, text, re.X).groupdict()
    year, month, day = int(values["year"]), int(values["month"]), int(values["day"])
    if not values["hour"]:
        return datetime.date(year, month, day)
    fraction = 0
    if values["fraction"]:
        fraction = int(values["fraction"][:6].ljust(6, "0"))
    tzinfo = None
    if values["tz_sign"]:
        delta = datetime.timedelta(hours=int(values["tz_hour"]), minutes=int(values["tz_minute"] or 0))
        tzinfo = datetime.timezone(-delta if values["tz_sign"] == "-" else delta)
    elif values["tz"]:
        tzinfo = datetime.timezone.utc
    return datetime.datetime(year, month, day, int(values["hour"]), int(values["minute"]),
                             int(values["second"]), fraction, tzinfo=tzinfo)
