"""Structured logs (logfmt or JSON) on stderr, with every known secret scrubbed."""
from __future__ import annotations

import json
import logging
import sys
import time

from .secrets import redact


# promslog's spelling, so one log query matches Lookout and the Go exporters beside it.
_LEVEL_NAMES = {logging.WARNING: "warn"}


class _Formatter(logging.Formatter):
    def __init__(self, fmt: str):
        super().__init__()
        self.fmt = fmt

    def format(self, record: logging.LogRecord) -> str:
        fields = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": _LEVEL_NAMES.get(record.levelno, record.levelname.lower()),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        fields.update(getattr(record, "fields", {}) or {})
        if record.exc_info:
            fields["exc"] = self.formatException(record.exc_info)
        if self.fmt == "json":
            line = json.dumps(fields, default=str)
        else:
            line = " ".join(f"{k}={_logfmt(v)}" for k, v in fields.items())
        return redact(line)


def _logfmt(value) -> str:
    s = str(value)
    if s == "" or any(c in s for c in ' ="\n\t'):
        return json.dumps(s)
    return s


class _ClientHttpErrors(logging.Filter):
    """Requests aiohttp cannot parse are the client's fault: one debug line, no bytes.

    aiohttp logs them at error level with a traceback and the first 100 bytes of the bad
    line, so any client, authenticated or not, could flood the log and have an oversized
    header (a credential) written to it. Go's net/http, beside us, answers 400 and logs nothing.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        from aiohttp.http_exceptions import HttpProcessingError  # the runtime's HTTP server

        exc = record.exc_info[1] if record.exc_info else None
        if not isinstance(exc, HttpProcessingError):
            return True
        if not logging.getLogger().isEnabledFor(logging.DEBUG):
            return False
        peer = record.args[0] if isinstance(record.args, tuple) and record.args else ""
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        record.msg, record.args = "malformed HTTP request", ()
        record.exc_info, record.exc_text = None, None
        record.fields = {"status": exc.code, "error": type(exc).__name__, "peer": peer}
        return True


def setup_logging(level: str = "info", fmt: str = "logfmt") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter(fmt))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())  # logging knows WARN as WARNING
    # aiohttp logs every request at info; that is noise at 4 scrapes/s.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    server = logging.getLogger("aiohttp.server")
    server.filters[:] = [f for f in server.filters if not isinstance(f, _ClientHttpErrors)]
    server.addFilter(_ClientHttpErrors())
