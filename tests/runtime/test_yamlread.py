"""runtime/yamlread.py against PyYAML's SafeLoader, the independent reference: every value it
reads is the value `yaml.safe_load` gives, and what it does not read (or PyYAML refuses) is
refused naming the line, never misread."""
from __future__ import annotations

import math
import re
import string
import subprocess

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lookout.devstack.proc import ROOT, bare_python
from lookout.exporters.runtime import yamlread
from lookout.exporters.runtime.config import MAX_DEPTH, MAX_NODES, ConfigError, read_yaml


def same(a, b) -> bool:
    """Equal values of the same types (bool is not int, 1.0 is not 1), NaN equal to NaN, and
    mappings in the same order."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return len(a) == len(b) and all(same(x, y) and same(a[x], b[y]) for x, y in zip(a, b))
    return a == b


def assert_reads_as_pyyaml(text: str) -> None:
    expected = yaml.safe_load(text)
    got = yamlread.load(text)
    assert same(got, expected), (text, got, expected)


# Each YAML feature the reader promises, and each rule of the YAML 1.1 resolver.
READ = [
    # block collections
    "a: 1\nb: two\n", "a:\n  b:\n    c: deep\n  d: [1]\n", "- 1\n- two\n- - nested\n  - seq\n",
    "- a: 1\n  b: 2\n- c: 3\n", "key:\n- a\n- b\nnext: 1\n", "key:\n  - a\n  -   b\n", "-\n  a: 1\n-\n- x\n",
    "  indented: top\n  level: 1\n", "a:\nb: ~\n", "- \n-\n", "a: 1   \nb: 2\n", "{}\n", "[]\n", "a: {}\nb: []\n",
    "- - - deep\n", "- a: 1\n  b:\n  - c\n  - d: e\n", "a :  spaced\n",
    # comments, document markers
    "# only a comment\n", "", "   \n\n", "--- # doc\na: 1\n", "---\na: 1\n...\n", "a: 1 # c\n# end\n", "a: 1\n...\n# after\n",
    "--- {a: 1}\n", "--- text\n", "a: x#not-a-comment\n", "a: \"x\"# comment\n", "a: [b]# comment\n", "\ufeffa: 1\n",
    # flow collections
    "[a, b, c]", "{a: 1, b: [2, 3]}", "[1, [2, [3]], {x: y}]", "{a: 1,}", "[1, 2,]", "a: [1,\n  2,\n 3]\n",
    "{a: 1,\n # comment\n b: 2}\n", "{a, b: 1}", "{a: , b: 2}", "{a:1}", '{"a":1}', "[a b, c  d]", "[-1, -x, -]",
    "{url: http://x:9/y, t: 1}", "[a:b]", "{ }", "[ ]", "[[], {}]", "{a: {b: {c: []}}}",
    # plain scalars
    "a: one two  three\n", "a: multi\n  line\n\n  plain\n", "- multi\n  line item\n", "a: -x\nb: ?x\nc: :x\n",
    "a: x:y\n", "a: 'x' \n", "a: http://host:80/path?q=1#frag\n", "a: b c: d e\n".replace(": d", " d"),
    "a: é ünïcödé ✓ 🎉\n", "top\nlevel\n", "a: 100%\n", "a: x\\y\n",
    # quoted scalars
    "a: 'it''s'\n", "a: ''\n", 'a: ""\n', "a: 'x: y # z'\n", "a: 'multi\n  line\n\n  folded'\n",
    'a: "esc \\t \\n \\\\ \\" \\/ \\0 \\a \\b \\v \\f \\r \\e \\  \\N \\_ \\L \\P"\n',
    'a: "\\x41\\u00e9\\U0001F600"\n', 'a: "line\\\n   joined"\n', 'a: "multi\n  line  \n\n  folded"\n',
    "a: 'tab\tinside'\n", 'a: "tab\tinside"\n', "'quoted key': 1\n\"dq key\": 2\n", "a: '#'\n", "a: '- x'\n",
    # block scalars
    "a: |\n  line 1\n  line 2\n", "a: >\n  folded\n  text\n\n  para\n", "a: |-\n  strip\n\n", "a: |+\n  keep\n\n\nb: 1\n",
    "a: >-\n  x\n   more\n  y\n", "a: |2\n    two extra\n  base\n", "a: |\n\n  after blank\n", "- |\n  in seq\n- x\n",
    "a: | # comment\n  x\n", "a: >+\n  x\n", "a: |\n  x\n\n  # not a comment\n", "a: |1-\n  x\n", "a: |\n  \tx\n",
    "a: >\n  one\n    indented\n  two\n", "a: |\nb: 1\n",
    # null and bool (YAML 1.1 spellings)
    "[~, null, Null, NULL, nULL, '', ]", "[yes, Yes, YES, yEs, no, No, NO, true, True, TRUE, tRue, false, False, FALSE]",
    "[on, On, ON, oN, off, Off, OFF, y, n, Y, N]",
    # int
    "[0, -0, +0, 7, -7, +7, 1_000, 0b101, -0b1_1, 017, 0_17, -017, 08, 0x1F, -0xff, 0xA_b, 1:30, -1:30:00, 190:20:30, 09:30]",
    "[00, 0_, 12345678901234567890123, 0o17, 1e5, 1.5e5, 0b, 0x]",
    # float
    "[1.5, -1.5, +1.5, 1., .5, -.5, 1_000.5, 1.5e+3, 1.5E-3, 1.e+5, .5e+1, 1.5e3, 190:20:30.15, 1:30.]",
    "[.inf, -.inf, +.inf, .Inf, .INF, .iNf, .nan, .NaN, .NAN, -.nan, inf, nan]",
    # timestamps, other plain words
    "[2001-12-14, 2001-12-14t21:59:43.10-05:00, 2001-12-14 21:59:43.10 -5, 2001-12-15T02:59:43.1Z, 2002-12-14 1:02:03]",
    "[2001-1-1, 20011-01-01, 2001-12-14T21:59:43.1234567Z, 2001-12-14 21:59:43 +01:30]",
    "3: int key\n2.5: float key\ntrue: bool key\n~: null key\n2001-01-01: date key\n",
    "[-, '-', --, ---x, ...x, a---]",
    # exporter-toolkit's web-config.yml
    "tls_server_config:\n  cert_file: /etc/lookout/tls.crt\n  key_file: /etc/lookout/tls.key\n"
    "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n  min_version: TLS12\n"
    "  cipher_suites:\n    - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n  prefer_server_cipher_suites: true\n"
    "http_server_config:\n  http2: false\n  headers:\n    X-Frame-Options: deny\n"
    "basic_auth_users:\n  prometheus: $2y$10$mDwo.lAisC94iLAyP81MCesa29IzH37oigHC/42V2pdJlUprsJPze\n",
]


@pytest.mark.parametrize("text", READ)
def test_reads_each_feature_as_pyyaml(text):
    assert_reads_as_pyyaml(text)


def test_deep_nesting_is_refused_before_the_recursion_limit():
    for text in ("[" * 5000 + "]" * 5000, "".join(f"{' ' * n}k:\n" for n in range(150))):
        with pytest.raises(yamlread.LimitError) as info:
            yamlread.load(text)
        assert info.value.limit == "depth"


def test_the_line_breaks_crlf_and_cr_read_as_lf():
    for text in ("a: 1\r\nb: 'x\r\n  y'\r\nc: |\r\n  z\r\n", "a: 1\rb: 2\r"):
        assert_reads_as_pyyaml(text)


# (document, line of the problem, words of the message): what the reader does not read.
REFUSED = [
    ("a: &anchor 1\nb: *anchor\n", 1, "anchors"),
    ("a: 1\nb: *x\n", 2, "aliases"),
    ("a: !!str 1\n", 1, "tags"),
    ("a: 1\nb: !secret x\n", 2, "tags"),
    ("? complex\n: key\n", 1, "explicit keys"),
    ("a: 1\n[x]: 2\n", 2, "used as a key"),
    ("a: 1\n{x: 1}: 2\n", 2, "used as a key"),
    ("a: 1\n<<: {b: 2}\n", 2, "merge keys"),
    ("a: 1\nb: =\n", 2, "'='"),
    ("%YAML 1.1\n---\na: 1\n", 1, "directives"),
    ("a: 1\n---\nb: 2\n", 2, "more than one document"),
    ("a: 1\n...\n---\nb: 2\n", 3, "more than one document"),
    ("a: 1\nb:\n\t- c\n", 3, "tab"),
    ("a: 1\nb:\tc\n", 2, "tab"),
    ("a: 1\nb: [1,\t2]\n", 2, "tab"),
    ("a: 1\nb: [x: 1]\n", 2, "inside [...]"),
    ("a: 1\na: 2\n", 2, "duplicate key 'a'"),
    ("a: 1\nb: {x: 1, x: 2}\n", 2, "duplicate key 'x'"),
    ("1: a\n0x1: b\n", 2, "duplicate key 1"),
    ("a: 1\nb: c: d\n", 2, "mapping cannot start"),
    ("a: 1\nb: - c\n", 2, "sequence cannot start"),
    ("a: 1\n  b: 2\n", 2, "mapping cannot start"),
    ("a: 'x'\n  b: 2\n", 2, "indentation"),
    ("a: 'x' y\n", 1, "after the value"),
    ("a:\n  b: [1]\n   c: 2\n", 3, "indentation"),
    ("a: 1\n- b\n", 2, "'- ' item where a 'key:' was expected"),
    ("a: 1\nb: [1, 2\n", 2, "never closed"),
    ("a: 1\nb: 'open\n", 2, "never closed"),
    ('a: 1\nb: "\\q"\n', 2, "unknown escape"),
    ('a: 1\nb: "\\x4"\n', 2, "hexadecimal"),
    ("a: 1\nb: 0x_\n", 2, "cannot be read"),
    ("a: 1\nb: 2001-13-01\n", 2, "cannot be read"),
    ("a: 1\nb: |0\n  x\n", 2, "indentation indicator"),
    ("a: 1\nb: @x\n", 2, "quote the value"),
    ("a: 1\nb: `x\n", 2, "quote the value"),
    ("a: 1\nb: x\x07\n", 2, "U+0007"),
    ("a: 1\nb: x\u2028y\n", 2, "line breaks"),
    ("a: 1\rb: x\x07\r", 2, "U+0007"),
    ("a: 1\n'multi\n line': 2\n", 2, "one line"),
    ("a: 1\n" + "k" * 1100 + ": 2\n", 2, "longer than 1024"),
    ("...\n", 1, "no document"),
    ("a: 1\n...\nb: 2\n", 3, "more than one document"),
]


@pytest.mark.parametrize("text,line,words", REFUSED)
def test_refuses_naming_the_line(text, line, words):
    with pytest.raises(yamlread.YAMLError) as info:
        yamlread.load(text)
    assert info.value.line == line, info.value
    assert words in info.value.problem, info.value


# Where PyYAML reads a value, the reader refuses only features it names (it never misreads).
NAMED_REFUSALS = ("anchors", "aliases", "tags", "explicit keys", "used as a key", "merge keys", "inside [...]")


@pytest.mark.parametrize("text,line,words", [r for r in REFUSED if "duplicate" not in r[2]])
def test_what_it_refuses_pyyaml_refuses_too_unless_a_named_feature(text, line, words):
    try:
        yaml.safe_load(text)
    except Exception:  # PyYAML refuses it too (a ValueError for 0x_, a ScannerError...)
        return
    assert any(w in words or words in w for w in NAMED_REFUSALS) or words in ("directives", "tab", "line breaks"), words


# Property tests: documents PyYAML writes, and PyYAML's reading of arbitrary YAML-ish text.

_TEXT = st.text(alphabet=st.sampled_from(list(string.ascii_letters + string.digits + " :#'\"-_.,[]{}!&*?|>%@`\\/=~")
                                         + ["é", "ü", "✓", "😀", "中", "\t", "\n", "\u00a0"]), max_size=40)
_WORDS = st.sampled_from(["yes", "no", "on", "off", "true", "null", "~", "", "0x1F", "017", "1_000", "1:30", ".inf",
                          ".nan", "1.5", "1e5", "2001-12-14", "2001-12-14 21:59:43.1 -5", "<<", "=", "- x", "? x",
                          "a: b", "# c", "&a", "*a", "!t", "...", "---", "|", ">", "'", '"'])
# PyYAML writes an empty key, a key with a line break or one of 128 characters or more as an
# explicit '? key', which the reader refuses (tested above).
_KEYS = st.one_of(_TEXT.filter(lambda k: k and "\n" not in k and len(k) < 100), _WORDS.filter(bool))
_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
                     _TEXT, st.text(max_size=120), _WORDS)
_CONFIGS = st.recursive(_SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=5),
                                                          st.dictionaries(_KEYS, inner, max_size=6)),
                        max_leaves=30)
_DUMPS = [dict(), dict(default_flow_style=True), dict(default_flow_style=None), dict(sort_keys=False),
          dict(allow_unicode=True), dict(width=20), dict(default_flow_style=True, width=20),
          dict(indent=4), dict(explicit_start=True, explicit_end=True)]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=st.dictionaries(_KEYS, _CONFIGS, max_size=8), style=st.sampled_from(_DUMPS))
def test_any_config_pyyaml_writes_reads_as_pyyaml_reads_it(value, style):
    text = yaml.safe_dump(value, **style)
    if any(c in text for c in "\x85\u2028\u2029"):  # written raw with allow_unicode; escaped otherwise
        with pytest.raises(yamlread.YAMLError, match="only LF, CRLF and CR line breaks are read"):
            yamlread.load(text)
        return
    assert_reads_as_pyyaml(text)


@settings(max_examples=100, deadline=None)
@given(value=st.dictionaries(_KEYS, st.one_of(_TEXT, st.lists(_TEXT, max_size=3)), max_size=6),
       style=st.sampled_from([dict(default_style="'"), dict(default_style='"'), dict(default_style='"', width=20)]))
def test_quoted_strings_pyyaml_writes_read_as_pyyaml_reads_them(value, style):
    # default_style quotes every scalar (it would tag a non-string: strings only here)
    assert_reads_as_pyyaml(yaml.safe_dump(value, **style))


_SOUP = st.lists(st.sampled_from(["a", "k", "1", ":", " ", " ", "  ", "\n", "\n", "- ", "-", "[", "]", "{", "}", ", ",
                                  "'", '"', "#", "|", ">", "|-", ">+", "\\", "\\n", "~", "yes", "0x1", ".5", "1:30",
                                  "...", "---", "?", "&a", "*a", "!", "\t", "é", "2001-01-01", "\r\n"]),
                 max_size=16).map("".join)


@settings(max_examples=3000, deadline=None)
@given(text=_SOUP)
def test_arbitrary_text_is_read_as_pyyaml_reads_it_or_refused(text):
    try:
        expected, refused_by_pyyaml = yaml.safe_load(text), False
    except Exception:
        refused_by_pyyaml = True
    try:
        got = yamlread.load(text)
    except yamlread.YAMLError:
        return  # refusing is always allowed; misreading never is
    assert not refused_by_pyyaml, f"accepted {text!r} as {got!r}, which PyYAML refuses"
    assert same(got, expected), (text, got, expected)


# Every YAML file in the repository and every YAML snippet in its docs.

def _repo_yaml() -> list[tuple[str, str]]:
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    found = []
    for name in files:
        if name.endswith((".yml", ".yaml")):
            found.append((name, (ROOT / name).read_text(encoding="utf-8")))
        elif name.endswith(".md"):
            blocks = re.findall(r"```ya?ml\n(.*?)```", (ROOT / name).read_text(encoding="utf-8"), re.S)
            found += [(f"{name} (yaml block {n + 1})", block) for n, block in enumerate(blocks)]
    return found


def test_every_yaml_file_and_docs_snippet_in_the_repo_reads_as_pyyaml():
    documents = _repo_yaml()
    assert len(documents) > 50  # git ls-files answered
    refused = []
    for name, text in documents:
        try:
            expected = yaml.safe_load(text)
        except yaml.YAMLError:  # several documents in one file (Kubernetes manifests)
            with pytest.raises(yamlread.YAMLError):
                yamlread.load(text)
            continue
        try:
            got = yamlread.load(text)
        except yamlread.YAMLError as exc:
            refused.append((name, exc.problem))
            continue
        assert same(got, expected), name
    # docker-compose.yml repeats its service settings with anchors: not an exporter's file.
    assert refused == [("docker-compose.yml", "anchors (&name) are not supported")]


@pytest.mark.parametrize("name", ["deploy/hosts/nas/lookout-ticks.yml", "lookout/remediate/example.yml"])
def test_the_shipped_configs_are_read(name):
    assert_reads_as_pyyaml((ROOT / name).read_text(encoding="utf-8"))


# read_yaml: its limits and messages, now over yamlread.

def _read(tmp_path, text: str) -> dict:
    path = tmp_path / "c.yml"
    path.write_text(text, encoding="utf-8")
    return read_yaml(str(path))


def test_read_yaml_names_file_and_line(tmp_path):
    with pytest.raises(ConfigError) as info:
        _read(tmp_path, "database:\n  host: db\n  port: &p 1\n")
    assert str(info.value) == f"{tmp_path / 'c.yml'} is not valid YAML at line 3: anchors (&name) are not supported"


def test_read_yaml_duplicate_key_names_it(tmp_path):
    with pytest.raises(ConfigError, match=r"at line 3: duplicate key 'host'"):
        _read(tmp_path, "database:\n  host: db\n  host: other\n")


def test_read_yaml_never_echoes_the_value_it_refuses(tmp_path):
    secret = "Pasted-Secret-9zq"
    for text in (f"a: 1\npassword: \"{secret}\\q\"\n", f"a: 1\npassword: {secret}\ttail\n",
                 f"a: 1\npassword: '{secret}\n", f"a: 1\npassword: {secret}: x\n"):
        with pytest.raises(ConfigError) as info:
            _read(tmp_path, text)
        assert "at line 2" in str(info.value) and secret not in str(info.value) and "Pasted" not in str(info.value)


def test_read_yaml_limits(tmp_path):
    with pytest.raises(ConfigError, match=f"nested more than {MAX_DEPTH} levels deep"):
        _read(tmp_path, "a: " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "\n")
    assert _read(tmp_path, "a: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n")
    with pytest.raises(ConfigError, match=f"holds more than {MAX_NODES} values"):
        _read(tmp_path, "a: [" + "1," * MAX_NODES + "]\n")
    with pytest.raises(ConfigError, match="must hold a mapping"):
        _read(tmp_path, "- a\n")
    assert _read(tmp_path, "# nothing\n") == {} and _read(tmp_path, "") == {}


def test_the_exporters_import_path_does_not_import_pyyaml():
    code = ("import sys; sys.path[:0] = [sys.argv[1], sys.argv[2]]\n"
            "import lookout.exporters.runtime.config, lookout.exporters.runtime.main, lookout.exporters.runtime.webconfig\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('yaml', '_yaml')))")
    assert bare_python(code, str(ROOT)).strip() == "[]"


# Resolver.resolve decides plain scalars of digits and dots without the float, int and timestamp
# regexes (start-up, issue 24): the same values as PyYAML for every such scalar.
@pytest.mark.parametrize("scalar", ["0", "00", "07", "08", "0777", "0778", "123", "1.", "1.5", "0.5", "01.5",
                                    "09.9", "127.0.0.1", "1..2", "1.2.", ".5", "..", "2024", "9" * 30, "١٢", "1_0"])
def test_digits_and_dots_read_as_pyyaml(scalar):
    assert_reads_as_pyyaml(f"k: {scalar}\n")


@settings(max_examples=500, deadline=None)
@given(text=st.text(alphabet="0123456789.", min_size=1, max_size=12))
def test_any_digits_and_dots_read_as_pyyaml(text):
    if text.strip(".") or len(text) < 3:  # "..." alone is a document end marker
        assert_reads_as_pyyaml(f"k: {text}\n")
