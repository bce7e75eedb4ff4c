"""Structured logs (logfmt or JSON) on stderr, with every known secret scrubbed.

Lookout's own logger, not the stdlib's `logging`: importing `logging` and logging one record costs
about 0.7 MB of RSS per process (1.3 MB alone after the socket and threading modules; 19 modules:
traceback, string, weakref...), against issue 24's 17 MB for the PM2 exporter, and none of the
exporters' own libraries needs it (bench/logs_import.py). Call sites
read like the stdlib's:

    log = get_logger("lookout.scrape")
    log.warning("collector failed", extra={"fields": {"collector": name, "reason": reason}})
    log.error("collection crashed: %s", text, exc_info=True)

One line per record, `ts level logger msg` first, then the record's fields, then `exc` (the
formatted traceback) when an exception is logged; promslog's level names (`warn`), so one log
query matches Lookout and the Go exporters beside it. Every line goes through
`secrets.redact`. Lines are written whole, one `write` each under a lock, from any thread.

A process that does load `logging` (the remediation receiver's aiohttp) has
its stdlib records written by the same code, in the same format: `setup_logging` routes them
here when `logging` is imported, before or after it (see `_route_stdlib`).

Tests assert on records, not on printed text: `with capture() as records: ...`.
"""
from __future__ import annotations

import sys
import threading
import time

from .secrets import redact

# No `typing` or `contextlib` here either: this module is loaded by every exporter, and each
# import it does not need is memory the targets count. Nor the `json` package (about
# 2.5 ms of start-up with its decoder and scanner) unless the JSON format is chosen: logfmt
# quotes a value with the function json.dumps uses for a str, imported here: out of file
# descriptors (EMFILE) an import fails, and that is exactly when the server logs a warning.
try:
    from _json import encode_basestring_ascii as _json_string
except ImportError:  # a Python built without json's accelerator
    from json.encoder import encode_basestring_ascii as _json_string

DEBUG, INFO, WARNING, ERROR, CRITICAL = 10, 20, 30, 40, 50  # the stdlib's numbers
# promslog's spelling; `warning` and upper case are accepted as `logging` accepted them.
_NAMES = {DEBUG: "debug", INFO: "info", WARNING: "warn", ERROR: "error", CRITICAL: "critical"}
_LEVELS = {"debug": DEBUG, "info": INFO, "warn": WARNING, "warning": WARNING, "error": ERROR,
           "critical": CRITICAL}
FORMATS = ("logfmt", "json")


def level_name(levelno: int) -> str:
    """`warn` for WARNING, `level 25` for a number that is no named level (as `logging` did)."""
    return _NAMES.get(levelno) or f"level {levelno}"


def level_number(level: str | int) -> int:
    """A level name (any case, `warn` or `warning`) or number -> its number; ValueError otherwise."""
    if isinstance(level, int):
        return level
    try:
        return _LEVELS[level.lower()]
    except KeyError:
        raise ValueError(f"unknown log level {level!r}") from None


class Record:
    """One log event: `levelno` (10..50), `level` (its name), `logger`, `msg` (with %-args
    applied), `fields` (a dict, in the caller's order), `exc_info` ((type, value, tb) or None),
    `created` (Unix seconds)."""

    __slots__ = ("created", "msecs", "levelno", "logger", "msg", "fields", "exc_info")

    def __init__(self, levelno: int, logger: str, msg: str, fields: dict | None = None,
                 exc_info: tuple | None = None, created: float | None = None, msecs: float | None = None):
        self.created = time.time() if created is None else created
        # as logging.LogRecord computes it (Python 3.11, gh-89047)
        self.msecs = int((self.created - int(self.created)) * 1000) if msecs is None else msecs
        self.levelno = levelno
        self.logger = logger
        self.msg = msg
        self.fields = fields if fields is not None else {}
        self.exc_info = exc_info

    @property
    def level(self) -> str:
        return level_name(self.levelno)

    def __repr__(self) -> str:
        return f"Record({self.level} {self.logger} {self.msg!r} {self.fields!r})"


def render(record: Record, fmt: str = "logfmt") -> str:
    """The line for `record` (no newline), redacted. Fields may override ts/level/logger/msg
    in place (as they did under `logging`); `exc` comes last."""
    fields: dict[str, object] = {
        "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
        "level": record.level,
        "logger": record.logger,
        "msg": record.msg,
    }
    fields.update(record.fields)
    if record.exc_info:
        fields["exc"] = format_exc(record.exc_info)
    # Each value is redacted before it is escaped: escaped, a secret with a quote, a backslash
    # or a non-ASCII character no longer matches itself. The whole line is redacted again.
    fields = {k: _redacted(v) for k, v in fields.items()}
    if fmt == "json":
        import json  # imported already by setup_logging("...", "json")
        line = json.dumps(fields, default=str)
    else:
        line = " ".join(f"{k}={_logfmt(v)}" for k, v in fields.items())
    return redact(line)


def _redacted(value):
    """`value` with every known secret masked in its text, its JSON type kept."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if type(value) in (list, tuple):
        return type(value)(_redacted(v) for v in value)
    if type(value) is dict:
        return {redact(str(k)): _redacted(v) for k, v in value.items()}
    return redact(str(value))


def format_exc(exc_info: tuple) -> str:
    """The traceback as `logging.Formatter.formatException` wrote it (no final newline)."""
    import traceback  # about 0.3 MB (linecache, tokenize): only once something failed

    text = "".join(traceback.format_exception(*exc_info))
    return text[:-1] if text.endswith("\n") else text


def _logfmt(value) -> str:
    s = str(value)
    if s == "" or any(c in s for c in ' ="\n\t'):
        return _json_string(s)  # json.dumps(s)
    return s


class _State:
    """The process's settings; `threshold` is the lowest level anything (output or a capture) wants."""

    level = INFO
    fmt = "logfmt"
    threshold = INFO
    captures: list[tuple[int, list[Record]]] = []


_state = _State()
_lock = threading.Lock()  # one line at a time on stderr; also guards _state's updates


class Logger:
    """What `logging.Logger` offered the call sites: debug/info/warning/error/critical/exception/log
    with %-style args, `extra={"fields": {...}}` and `exc_info` (True, an exception, or a tuple)."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name

    def isEnabledFor(self, level: int) -> bool:  # the stdlib's name, so call sites stay as they are
        return level >= _state.threshold

    def debug(self, msg, *args, extra: dict | None = None, exc_info=None) -> None:
        if DEBUG >= _state.threshold:
            self._log(DEBUG, msg, args, extra, exc_info)

    def info(self, msg, *args, extra: dict | None = None, exc_info=None) -> None:
        if INFO >= _state.threshold:
            self._log(INFO, msg, args, extra, exc_info)

    def warning(self, msg, *args, extra: dict | None = None, exc_info=None) -> None:
        if WARNING >= _state.threshold:
            self._log(WARNING, msg, args, extra, exc_info)

    def error(self, msg, *args, extra: dict | None = None, exc_info=None) -> None:
        if ERROR >= _state.threshold:
            self._log(ERROR, msg, args, extra, exc_info)

    def critical(self, msg, *args, extra: dict | None = None, exc_info=None) -> None:
        if CRITICAL >= _state.threshold:
            self._log(CRITICAL, msg, args, extra, exc_info)

    def exception(self, msg, *args, extra: dict | None = None, exc_info=True) -> None:
        """error() with the exception being handled."""
        if ERROR >= _state.threshold:
            self._log(ERROR, msg, args, extra, exc_info)

    def log(self, level: int, msg, *args, extra: dict | None = None, exc_info=None) -> None:
        if level >= _state.threshold:
            self._log(level, msg, args, extra, exc_info)

    def _log(self, level: int, msg, args: tuple, extra: dict | None, exc_info) -> None:
        fields = dict((extra or {}).get("fields") or {})
        text = str(msg)
        if args:
            # logging's rule: a single non-empty mapping is the mapping for %(name)s
            if len(args) == 1 and isinstance(args[0], dict) and args[0]:
                args = args[0]
            try:
                text = text % args
            except Exception as exc:  # a bad format string must not raise into a collector
                fields["log_error"] = f"{type(exc).__name__}: {exc}; args {args!r}"
        if exc_info:
            if isinstance(exc_info, BaseException):
                exc_info = (type(exc_info), exc_info, exc_info.__traceback__)
            elif not isinstance(exc_info, tuple):
                exc_info = sys.exc_info()
        emit(Record(level, self.name, text, fields, exc_info or None))


_loggers: dict[str, Logger] = {}


def get_logger(name: str) -> Logger:
    """The logger called `name` (one object per name, like `logging.getLogger`)."""
    try:
        return _loggers[name]
    except KeyError:
        return _loggers.setdefault(name, Logger(name))


def emit(record: Record) -> None:
    """Hand `record` to the active captures that want it and, at or above the process's level,
    write its line to stderr. Never raises."""
    for level, records in _state.captures:
        if record.levelno >= level:
            records.append(record)
    if record.levelno < _state.level:
        return
    try:
        line = render(record, _state.fmt) + "\n"
    except Exception as exc:  # a field whose str() raises must not take a collector down
        line = render(Record(ERROR, "lookout.logs", "unprintable record", {
            "record_logger": record.logger, "record_msg": record.msg, "err": f"{type(exc).__name__}: {exc}"}),
            _state.fmt) + "\n"
    stream = sys.stderr  # looked up per line: pytest and a daemon may swap it
    if stream is None:
        return
    with _lock:
        try:
            stream.write(line)
            stream.flush()
        except (OSError, ValueError):  # stderr closed or a broken pipe: nothing left to tell
            pass


def setup_logging(level: str = "info", fmt: str = "logfmt") -> None:
    """Log at `level` and above (debug, info, warn/warning, error; any case) in `fmt` (logfmt or
    json). Raises ValueError for an unknown level or format. Records of the stdlib's `logging`
    go through the same path once `logging` is imported, whenever that is."""
    number = level_number(level)
    if fmt not in FORMATS:
        raise ValueError(f"unknown log format {fmt!r}")
    if fmt == "json":
        import json  # noqa: F401 - now, not at a line: see _json_string
    with _lock:
        _state.level, _state.fmt = number, fmt
        _update_threshold()
    _route_stdlib()


def _update_threshold() -> None:
    _state.threshold = min([_state.level, *(level for level, _ in _state.captures)])


class capture:  # lower case: it reads as a function, `with logs.capture() as records:`
    """Collect every record at `level` or above, from any thread, while the block runs (the
    lines are still written at the process's level). `with capture() as records:` gives the
    list it appends to (`Record`s)."""

    def __init__(self, level: str | int = DEBUG):
        self.records: list[Record] = []
        self._entry = (level_number(level), self.records)

    def __enter__(self) -> list[Record]:
        with _lock:
            _state.captures = [*_state.captures, self._entry]  # a new list: emit() iterates without the lock
            _update_threshold()
        return self.records

    def __exit__(self, *exc) -> None:
        with _lock:
            _state.captures = [c for c in _state.captures if c is not self._entry]
            _update_threshold()


# --- the stdlib's logging, where a library brings it -------------------------------------------

def _route_stdlib() -> None:
    """Route `logging`'s records through emit() now if `logging` is loaded, else when it is."""
    if "logging" in sys.modules:
        from . import logbridge
        logbridge.adopt(_state.level, _from_stdlib)
    elif not any(isinstance(f, _WhenImported) for f in sys.meta_path):
        sys.meta_path.insert(0, _WhenImported())


class _WhenImported:
    """An import hook that routes `logging` right after its first import, so a library that
    imports it lazily (aiohttp in the remediation receiver) has its
    records formatted and redacted like ours, not printed bare by `logging`'s last resort.
    It finds nothing itself: it asks the finders after it and wraps the module's execution."""

    def find_spec(self, name, path=None, target=None):
        if name != "logging":
            return None
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None) if finder is not self else None
            spec = find(name, path, target) if find else None
            if spec is not None and spec.loader is not None and hasattr(spec.loader, "exec_module"):
                run = spec.loader.exec_module

                def exec_module(module, run=run):
                    run(module)
                    # removed here, not in find_spec: the import system is iterating sys.meta_path there
                    if self in sys.meta_path:
                        sys.meta_path.remove(self)
                    from . import logbridge
                    logbridge.adopt(_state.level, _from_stdlib)

                spec.loader.exec_module = exec_module
                return spec
        return None


def _from_stdlib(record) -> None:
    """A `logging.LogRecord` (its `fields` extra kept) written as ours."""
    emit(Record(record.levelno, record.name, record.getMessage(), dict(getattr(record, "fields", None) or {}),
                record.exc_info or None, record.created, record.msecs))
