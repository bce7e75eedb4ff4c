"""The stdlib's `logging`, where a library brings it (aiohttp in the remediation receiver):
its records handed to logs.py, written in the same format, redacted.

Imported only by `logs` once `logging` is loaded; the exporters' own path never imports it.
"""
from __future__ import annotations

import logging
from typing import Callable


class _ToLookout(logging.Handler):
    """The root handler: hands each record to `sink` (logs.py's, which does not import this)."""

    def __init__(self, sink: Callable[[logging.LogRecord], None]):
        super().__init__()
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.sink(record)
        except Exception:
            self.handleError(record)


class _ClientHttpErrors(logging.Filter):
    """Requests aiohttp cannot parse are the client's fault: one debug line, no bytes.

    aiohttp logs them at error level with a traceback and the first 100 bytes of the bad
    line, so any client, authenticated or not, could flood the log and have an oversized
    header (a credential) written to it. Go's net/http, beside us, answers 400 and logs nothing.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        from aiohttp.http_exceptions import HttpProcessingError  # remediate's HTTP server

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


def adopt(level: int, sink: Callable[[logging.LogRecord], None]) -> None:
    """The root logger hands its records to `sink` at `level` (its handlers replaced, as
    setup_logging always did); aiohttp's access log at warning, its client errors filtered."""
    root = logging.getLogger()
    if len(root.handlers) != 1 or not isinstance(root.handlers[0], _ToLookout) or root.handlers[0].sink is not sink:
        root.handlers[:] = [_ToLookout(sink)]
    root.setLevel(level)
    # aiohttp logs every request at info; that is noise at 4 scrapes/s.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    server = logging.getLogger("aiohttp.server")
    server.filters[:] = [f for f in server.filters if not isinstance(f, _ClientHttpErrors)]
    server.addFilter(_ClientHttpErrors())
