"""Lookout's own logger (runtime/logs.py): the lines main's stdlib-based formatter wrote, byte
for byte; levels; redaction; whole lines from concurrent threads; tracebacks; the stdlib's
records (aiohttp, asyncpg) routed into the same format; and `capture()` for tests.

The expected lines below were printed by main's `logs._Formatter` (stdlib logging, commit
521cc5a) for the same records: `logging.LogRecord`s with the same name, level, msg, args, fields,
exc_info (from SRC below) and `created`/`msecs`, formatted in main's tree.
"""
from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
import threading
import time
from pathlib import PurePosixPath

import pytest

from lookout.devstack.proc import ROOT
from lookout.exporters.runtime import logs
from lookout.exporters.runtime.secrets import remember

# Raised and caught in code compiled under a fixed file name, so the traceback is the same
# wherever the test runs (no source line: "<ref>" is no file).
SRC = """
import sys
def boom():
    raise ValueError('bad "x"\\tand\\nmore')
def caught():
    try:
        boom()
    except ValueError:
        return sys.exc_info()
def chained():
    try:
        try:
            boom()
        except ValueError as exc:
            raise KeyError("k") from exc
    except KeyError:
        return sys.exc_info()
def logged(log):
    try:
        boom()
    except ValueError:
        log.exception("action crashed", extra={"fields": {"action": "restart"}})
"""
REF: dict = {}
exec(compile(SRC, "<ref>", "exec"), REF)
CREATED = [1765100000.123456, 1765100001.999, 1765100002.0, 1765100003.5]

LOGFMT = [
    'ts=2025-12-07T09:33:20.123Z level=info logger=lookout msg=listening address=0.0.0.0:9100 tls=False actions=""',
    'ts=2025-12-07T09:33:21.999Z level=warn logger=lookout.scrape msg="collector failed" collector=db reason=timeout err="said \\"no\\"\\tthen\\nleft" eq="a=b" none=None num=1.5',
    'ts=2025-12-07T09:33:22.000Z level=error logger=lookout.scrape msg="collection crashed: boom at ***"',
    'ts=2025-12-07T09:33:23.500Z level=debug logger=lookout.nectar.db msg="x 1 y" dsn=mysql://u:***@h/db pw="password=***"',
    'ts=2025-12-07T09:33:20.123Z level=info logger=lookout.t msg="caf\\u00e9 \\u2603" word=naïve path="/x y" list="[1, \'a\']" d="{\'k\': \'v\'}"',
    'ts=2025-12-07T09:33:21.999Z level=error logger=lookout.remediate msg="action crashed" action=restart exc="Traceback (most recent call last):\\n  File \\"<ref>\\", line 7, in caught\\n  File \\"<ref>\\", line 4, in boom\\nValueError: bad \\"x\\"\\tand\\nmore"',
    'ts=2025-12-07T09:33:22.000Z level=error logger=lookout.remediate msg=chained exc="Traceback (most recent call last):\\n  File \\"<ref>\\", line 13, in chained\\n  File \\"<ref>\\", line 4, in boom\\nValueError: bad \\"x\\"\\tand\\nmore\\n\\nThe above exception was the direct cause of the following exception:\\n\\nTraceback (most recent call last):\\n  File \\"<ref>\\", line 15, in chained\\nKeyError: \'k\'"',
    'ts=2025-12-07T09:33:23.500Z level=critical logger=lookout msg=overridden extra=x',
    'ts=2025-12-07T09:33:20.123Z level="level 25" logger=lookout msg="between levels"',
    'ts="field ts" level=info logger=lookout msg="" exc=mine',
]
JSON = [
    '{"ts": "2025-12-07T09:33:20.123Z", "level": "info", "logger": "lookout", "msg": "listening", "address": "0.0.0.0:9100", "tls": false, "actions": ""}',
    '{"ts": "2025-12-07T09:33:21.999Z", "level": "warn", "logger": "lookout.scrape", "msg": "collector failed", "collector": "db", "reason": "timeout", "err": "said \\"no\\"\\tthen\\nleft", "eq": "a=b", "none": null, "num": 1.5}',
    '{"ts": "2025-12-07T09:33:22.000Z", "level": "error", "logger": "lookout.scrape", "msg": "collection crashed: boom at ***"}',
    '{"ts": "2025-12-07T09:33:23.500Z", "level": "debug", "logger": "lookout.nectar.db", "msg": "x 1 y", "dsn": "mysql://u:***@h/db", "pw": "password=***"}',
    '{"ts": "2025-12-07T09:33:20.123Z", "level": "info", "logger": "lookout.t", "msg": "caf\\u00e9 \\u2603", "word": "na\\u00efve", "path": "/x y", "list": [1, "a"], "d": {"k": "v"}}',
    '{"ts": "2025-12-07T09:33:21.999Z", "level": "error", "logger": "lookout.remediate", "msg": "action crashed", "action": "restart", "exc": "Traceback (most recent call last):\\n  File \\"<ref>\\", line 7, in caught\\n  File \\"<ref>\\", line 4, in boom\\nValueError: bad \\"x\\"\\tand\\nmore"}',
    '{"ts": "2025-12-07T09:33:22.000Z", "level": "error", "logger": "lookout.remediate", "msg": "chained", "exc": "Traceback (most recent call last):\\n  File \\"<ref>\\", line 13, in chained\\n  File \\"<ref>\\", line 4, in boom\\nValueError: bad \\"x\\"\\tand\\nmore\\n\\nThe above exception was the direct cause of the following exception:\\n\\nTraceback (most recent call last):\\n  File \\"<ref>\\", line 15, in chained\\nKeyError: \'k\'"}',
    '{"ts": "2025-12-07T09:33:23.500Z", "level": "critical", "logger": "lookout", "msg": "overridden", "extra": "x"}',
    '{"ts": "2025-12-07T09:33:20.123Z", "level": "level 25", "logger": "lookout", "msg": "between levels"}',
    '{"ts": "field ts", "level": "info", "logger": "lookout", "msg": "", "exc": "mine"}',
]


@pytest.fixture
def restore():
    """setup_logging changes the process's level, format and (pytest loads logging) the stdlib's
    root logger: put them back."""
    state = (logs._state.level, logs._state.fmt)
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    yield
    logs.setup_logging(logs.level_name(state[0]), state[1])
    root.handlers[:], root.level = saved[0], saved[1]


def log_the_reference_records() -> list[logs.Record]:
    """The reference's records, through the call sites' API (message args, extra fields,
    exc_info as a tuple and as an exception)."""
    remember("s3cr3t-value")
    with logs.capture() as records:
        logs.get_logger("lookout").info("listening", extra={"fields": {"address": "0.0.0.0:9100", "tls": False,
                                                                      "actions": ""}})
        logs.get_logger("lookout.scrape").warning("collector failed", extra={"fields": {
            "collector": "db", "reason": "timeout", "err": 'said "no"\tthen\nleft', "eq": "a=b", "none": None,
            "num": 1.5}})
        logs.get_logger("lookout.scrape").error("collection crashed: %s", "boom at s3cr3t-value")
        logs.get_logger("lookout.nectar.db").debug("x %(a)s y", {"a": 1}, extra={"fields": {
            "dsn": "mysql://u:pw-in-dsn@h/db", "pw": "password=hunter2"}})
        logs.get_logger("lookout.t").info("caf\u00e9 \u2603", extra={"fields": {
            "word": "na\u00efve", "path": PurePosixPath("/x y"), "list": [1, "a"], "d": {"k": "v"}}})
        logs.get_logger("lookout.remediate").error("action crashed", extra={"fields": {"action": "restart"}},
                                                   exc_info=REF["caught"]())
        logs.get_logger("lookout.remediate").error("chained", exc_info=REF["chained"]()[1])
        logs.get_logger("lookout").critical("critical one", extra={"fields": {"msg": "overridden", "extra": "x"}})
        logs.get_logger("lookout").log(25, "between levels")
        logs.get_logger("lookout").info("", extra={"fields": {"ts": "field ts", "exc": "mine"}})
    for i, r in enumerate(records):
        r.created = CREATED[i % len(CREATED)]
        r.msecs = int((r.created - int(r.created)) * 1000)
    return records


@pytest.mark.parametrize("fmt,expected", [("logfmt", LOGFMT), ("json", JSON)])
def test_lines_are_mains_byte_for_byte(fmt, expected):
    records = log_the_reference_records()
    assert [logs.render(r, fmt) for r in records] == expected


def test_json_lines_are_json_with_the_fields_in_order():
    records = log_the_reference_records()
    parsed = [json.loads(logs.render(r, "json")) for r in records]
    assert list(parsed[1])[:4] == ["ts", "level", "logger", "msg"]
    assert parsed[1]["err"] == 'said "no"\tthen\nleft'
    assert parsed[4]["msg"] == "caf\u00e9 \u2603" and parsed[4]["list"] == [1, "a"]
    assert list(parsed[5])[-1] == "exc" and parsed[5]["exc"].endswith('ValueError: bad "x"\tand\nmore')


def test_log_exception_formats_the_exception_being_handled():
    with logs.capture() as records:
        REF["logged"](logs.get_logger("lookout.remediate"))
    (r,) = records
    assert r.level == "error" and r.exc_info[0] is ValueError
    r.created, r.msecs = CREATED[1], 999
    assert logs.render(r) == LOGFMT[5].replace("line 7, in caught", "line 20, in logged")


def test_records_carry_level_logger_msg_fields():
    with logs.capture() as records:
        logs.get_logger("lookout.pm2").warning("RPC reply unreadable, %s", "falling back",
                                               extra={"fields": {"err": "x"}})
    assert [(r.level, r.levelno, r.logger, r.msg, r.fields, r.exc_info) for r in records] == [
        ("warn", 30, "lookout.pm2", "RPC reply unreadable, falling back", {"err": "x"}, None)]


def test_get_logger_gives_one_logger_per_name():
    assert logs.get_logger("lookout.a") is logs.get_logger("lookout.a")
    assert logs.get_logger("lookout.a").name == "lookout.a"


def test_the_level_decides_what_is_written(restore, capsys):
    log = logs.get_logger("lookout.t")
    logs.setup_logging("warn", "logfmt")
    assert not log.isEnabledFor(logs.INFO) and log.isEnabledFor(logs.WARNING)
    log.debug("d")
    log.info("i")
    log.warning("w")
    log.error("e")
    levels = [line.split()[1] for line in capsys.readouterr().err.splitlines()]
    assert levels == ["level=warn", "level=error"]
    logs.setup_logging("DEBUG", "json")
    log.debug("d")
    assert json.loads(capsys.readouterr().err)["level"] == "debug"
    logs.setup_logging("warning")  # the older spelling configs still use
    assert logs._state.level == logs.WARNING


@pytest.mark.parametrize("level,fmt", [("loud", "logfmt"), ("info", "xml")])
def test_an_unknown_level_or_format_is_refused(restore, level, fmt):
    with pytest.raises(ValueError):
        logs.setup_logging(level, fmt)


def test_capture_sees_what_the_level_does_not_write(restore, capsys):
    logs.setup_logging("error")
    with logs.capture("debug") as records:
        assert logs.get_logger("lookout.t").isEnabledFor(logs.DEBUG)
        logs.get_logger("lookout.t").debug("quiet")
    assert [r.msg for r in records] == ["quiet"] and capsys.readouterr().err == ""
    assert not logs.get_logger("lookout.t").isEnabledFor(logs.DEBUG)  # the capture is over


def test_capture_sees_other_threads():
    with logs.capture() as records:
        t = threading.Thread(target=lambda: logs.get_logger("lookout.scrape").info("from a thread"))
        t.start()
        t.join()
    assert [r.msg for r in records] == ["from a thread"]


def test_every_line_is_redacted(restore, capsys):
    remember("tok-4f9a7c")
    logs.setup_logging("info", "logfmt")
    log = logs.get_logger("lookout.t")
    try:
        raise RuntimeError("connect failed: tok-4f9a7c")
    except RuntimeError as exc:
        log.error("driver said %s", exc, extra={"fields": {"dsn": "postgresql://u:tok-4f9a7c@h/db"}},
                  exc_info=True)
    err = capsys.readouterr().err
    # msg, dsn, and the traceback's source line and exception line
    assert "tok-4f9a7c" not in err and err.count("***") == 4, err


def test_a_bad_format_or_field_never_raises(restore, capsys):
    logs.setup_logging("info", "logfmt")

    class Unprintable:
        def __str__(self):
            raise RuntimeError("no")

    log = logs.get_logger("lookout.t")
    log.warning("bad %d", "x")
    log.warning("fields", extra={"fields": {"v": Unprintable()}})
    lines = capsys.readouterr().err.splitlines()
    assert 'msg="bad %d"' in lines[0] and "log_error=" in lines[0]
    assert 'msg="unprintable record"' in lines[1] and "record_logger=lookout.t" in lines[1]


class Chunky(io.TextIOBase):
    """A stream whose write() hands over to other threads between small pieces, as a pipe's
    partial writes can: lines interleave unless each is written under one lock."""

    def __init__(self):
        self.parts: list[str] = []

    def write(self, s: str) -> int:
        for i in range(0, len(s), 16):
            self.parts.append(s[i:i + 16])
            time.sleep(0)
        return len(s)


def test_concurrent_writers_never_interleave_lines(restore, monkeypatch):
    stream = Chunky()
    monkeypatch.setattr(sys, "stderr", stream)
    logs.setup_logging("info", "logfmt")

    def write(n: int) -> None:
        log = logs.get_logger(f"lookout.w{n}")
        for i in range(50):
            log.info("collector failed", extra={"fields": {"writer": n, "i": i, "pad": "x" * 100, "end": "END"}})

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = "".join(stream.parts).splitlines()
    assert len(lines) == 300
    for line in lines:
        fields = dict(kv.split("=", 1) for kv in line.split(" ") if "=" in kv and not kv.startswith("failed"))
        assert line.startswith("ts=") and line.endswith("end=END"), line
        assert fields["logger"] == f"lookout.w{fields['writer']}", line
    assert sorted((int(f.split("writer=")[1].split()[0]), int(f.split(" i=")[1].split()[0])) for f in lines) == \
        [(n, i) for n in range(6) for i in range(50)]


def test_stdlib_records_come_out_in_the_same_format(restore, capsys):
    logs.setup_logging("info", "logfmt")  # pytest has loaded logging: routed now
    remember("pg-pass-91")
    with logs.capture() as records:
        logging.getLogger("asyncpg.pool").warning("%s released twice (pg-pass-91)", "conn",
                                                  extra={"fields": {"pool": "ticks"}})
        logging.getLogger("asyncpg.pool").info("below? no: info is on")
        logging.getLogger("asyncpg.pool").debug("below the level")
    assert [(r.logger, r.level, r.msg, r.fields) for r in records] == [
        ("asyncpg.pool", "warn", "conn released twice (pg-pass-91)", {"pool": "ticks"}),
        ("asyncpg.pool", "info", "below? no: info is on", {})]
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].split(" ", 1)[1] == 'level=warn logger=asyncpg.pool msg="conn released twice (***)" pool=ticks'
    assert len(lines) == 2
    assert logging.getLogger("aiohttp.access").level == logging.WARNING  # a line per request is noise


def test_aiohttp_client_errors_are_one_debug_line_without_bytes(restore, capsys):
    from aiohttp.http_exceptions import BadHttpMessage

    def aiohttp_logs():
        try:
            raise BadHttpMessage("bad header: Authorization: Basic c2VjcmV0")
        except BadHttpMessage:
            logging.getLogger("aiohttp.server").error("Error handling request from %s", "10.0.0.9", exc_info=True)

    logs.setup_logging("info")
    aiohttp_logs()
    assert capsys.readouterr().err == ""
    logs.setup_logging("debug")
    aiohttp_logs()
    (line,) = capsys.readouterr().err.splitlines()
    assert line.split(" ", 1)[1] == ('level=debug logger=aiohttp.server msg="malformed HTTP request" status=400 '
                                     'error=BadHttpMessage peer=10.0.0.9')


# Loads logs.py and secrets.py alone (the runtime package's __init__ imports the rest of the
# runtime), under `python -S`, as tests/runtime/test_footprint.py runs an exporter.
ALONE = r"""
import sys, types
root = sys.argv[1]
for name in ("lookout", "lookout.exporters", "lookout.exporters.runtime"):
    m = types.ModuleType(name)
    m.__path__ = [root + "/" + name.replace(".", "/")]
    sys.modules[name] = m
from lookout.exporters.runtime import logs
logs.setup_logging("info", "logfmt")
log = logs.get_logger("lookout.t")
log.info("plain", extra={"fields": {"a": "b c"}})
print("after info:", "logging" in sys.modules, "traceback" in sys.modules, file=sys.stderr)
try:
    1 / 0
except ZeroDivisionError:
    log.error("failed", exc_info=True)
print("after exc:", "traceback" in sys.modules, file=sys.stderr)
import logging  # as asyncpg or aiohttp would, after setup_logging
logging.getLogger("asyncpg").warning("routed", extra={"fields": {"k": "v"}})
"""


def test_the_logger_loads_neither_logging_nor_traceback_until_needed():
    res = subprocess.run([sys.executable, "-S", "-c", ALONE, str(ROOT)], capture_output=True, text=True, timeout=30)
    assert res.returncode == 0, res.stderr
    lines = res.stderr.splitlines()
    assert lines[0].split(" ", 1)[1] == 'level=info logger=lookout.t msg=plain a="b c"'
    assert lines[1] == "after info: False False"
    assert lines[2].split(" ", 1)[1].startswith('level=error logger=lookout.t msg=failed exc="Traceback')
    assert lines[3] == "after exc: True"
    # logging imported after setup_logging: its records still in our format, not bare
    assert lines[4].split(" ", 1)[1] == "level=warn logger=asyncpg msg=routed k=v"
    assert len(lines) == 5


@pytest.mark.parametrize("secret", ['Sup3r"Secret', "Sup3r\\Secret", "Süper-Secret-1", "tab\tSecret"])
@pytest.mark.parametrize("fmt", ["logfmt", "json"])
def test_no_part_of_a_secret_in_a_line_whatever_its_characters(secret, fmt, monkeypatch):
    """Found by review: the line was escaped (json.dumps) before it was redacted, so a secret with a
    quote, a backslash, a tab or a non-ASCII character was written escaped, and in full."""
    from lookout.exporters.runtime.secrets import Secret

    Secret(secret)
    logs.setup_logging("info", fmt)
    buf = io.StringIO()
    monkeypatch.setattr(sys, "stderr", buf)
    try:
        raise ValueError(f"login as {secret} refused")
    except ValueError:
        logs.get_logger("t").exception("collector failed", extra={"fields": {"err": f"login as {secret} refused",
                                                                             "tried": [secret, 1]}})
    line = buf.getvalue()
    assert "Secret" not in line, line


@pytest.mark.parametrize("value", ["", "two words", 'say "hi"', "back\\slash and space", "tab\there", "line\nbreak",
                                   "ünï €", "ctl \x00\x1f\x7f", "emoji \U0001F600", "="])
def test_logfmt_quotes_a_value_as_json_dumps_does(value):
    """logfmt's quoting without the json package (issue 24: start-up) is json.dumps's."""
    assert logs._logfmt(value) == json.dumps(value)
