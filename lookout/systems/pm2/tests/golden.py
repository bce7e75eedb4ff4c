"""PM2 and the RSS sync server: the daemon's getMonitorData reply, the server's /server/health
and /server/sync/stats answers and its log lines, recorded; the exporter's `/metrics` from them.

The daemon's reply is served on an in-process unix socket in PM2's own wire format (AMP/axon,
lookout.pm2rpc.amp), the HTTP answers by an in-process server, the log lines appended to the
files the recorded process list names: the exporter's own client, parsing and tails run."""
from __future__ import annotations

import json
import socket
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

from lookout.systems.pm2.exporter import EXPORTER
from lookout.exporters.runtime.config import Loader
from lookout.pm2rpc import amp

from tests.golden import json_routes, normalise, scrape
from tests.golden import sources as _sources

NAME = "pm2"
REPO = "shayonpal/rss-news-reader"
# Read against its read-only answers, not re-recorded: a live PM2 daemon and sync server
# are processes; `python -m tests.golden --record` leaves these as they are.
record = None
# Per-process uptime is now minus the recorded pm_uptime.
VOLATILE = ("pm2_process_uptime_seconds",)
LOGS = "{logs}"  # in the recorded process list: the folder the log files are written to


def folder() -> Path:
    return Path(__file__).resolve().parent / "recorded"


def sources() -> dict:
    return _sources(folder())


@contextmanager
def _daemon(path: str, body: dict):
    """Answers every request on `path` with the recorded reply body, echoing the request's id
    (pm2-axon-rpc's reply: [body, id]), one connection at a time on a thread of its own."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(8)

    def serve():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:  # shut down
                return
            with conn:
                try:
                    request = amp.read_message(conn.makefile("rb").read)
                    conn.sendall(amp.encode([body, request[-1]]))
                except (OSError, IndexError, amp.ProtocolError):
                    pass  # the client went away: it reports that itself
    thread = threading.Thread(target=serve, name="golden-pm2-daemon", daemon=True)
    thread.start()
    try:
        yield
    finally:
        try:
            listener.shutdown(socket.SHUT_RDWR)  # wakes the accept
        except OSError:
            pass
        listener.close()
        thread.join(5)


def render() -> str:
    """The exporter's `/metrics` (Prometheus text) from the recorded answers, normalised."""
    src = sources()
    with tempfile.TemporaryDirectory(prefix="lookout-golden-pm2-") as tmp:
        raw = (folder() / src["get_monitor_data"]["file"]).read_text().replace(LOGS, tmp)
        logs = {k: Path(tmp) / src[k]["appended_to"] for k in ("out_log", "err_log")}
        for path in logs.values():
            path.touch()
        with _daemon(str(Path(tmp) / "rpc.sock"), json.loads(raw)), \
                json_routes(src, ("health", "sync_stats"), folder()) as base:
            cfg = Loader(EXPORTER.namespace, environ={}).load(EXPORTER.config_class, {
                "daemon": {"rpc_socket": str(Path(tmp) / "rpc.sock"), "home": tmp,
                           "expected_processes": ["rss-sync-server"]},
                "health": {"url": base + src["health"]["path"]},
                "host": {"enabled": False},  # /proc/meminfo: this machine's, not a recorded answer
            })

            def append_lines():
                for key, path in logs.items():
                    lines = (folder() / src[key]["file"]).read_text()
                    with path.open("a") as f:
                        f.write(lines)
            text = scrape(EXPORTER.namespace, EXPORTER.build(cfg), append_lines)
    return normalise(text, VOLATILE)
