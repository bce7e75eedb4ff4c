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


def setup_logging(level: str = "info", fmt: str = "logfmt") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter(fmt))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())  # logging knows WARN as WARNING
    # aiohttp logs every request at info; that is noise at 4 scrapes/s.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
