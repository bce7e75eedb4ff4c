"""The ETH option tick collector: TimescaleDB's rows for the exporter's statements and the
Docker Engine API's answers about the collector's container, recorded; the exporter's
`/metrics` from them.

The statements are answered from `recorded/rows.yml` through the exporter's own
Database seam (tests/golden/recorded_db.py); the Docker answers are served by an in-process
HTTP server on a unix socket (a FAKE dockerd serving recorded answers) that the exporter's
Engine API client talks to, as it would to dockerd, so listing, inspecting, stats and the
multiplexed log stream are parsed for real.
The disk collector reads this machine's filesystems and is left out."""
from __future__ import annotations

import contextlib
import json
import re
import socketserver
import struct
import tempfile
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import lookout.systems.ticks.exporter.database as database_module
from lookout.exporters.runtime.config import Loader
from lookout.systems.ticks.exporter import EXPORTER

from tests.golden import normalise, scrape
from tests.golden import sources as _sources
from tests.golden.recorded_db import RecordedStatements, replaced

NAME = "ticks"
REPO = "smartiesss/datadownloader"
record = None   # answers of a live TimescaleDB and dockerd (processes): kept as committed
VOLATILE = ()
CONTAINER = "eth-collector"   # docker-compose.yml container_name


def folder() -> Path:
    return Path(__file__).resolve().parent / "recorded"


def sources() -> dict:
    return _sources(folder())


class RecordedTimescale:
    """RECORDED ANSWERS standing in for lookout.systems.ticks.exporter.database.Database (same methods)."""

    recorded: RecordedStatements  # set by render()

    def __init__(self, cfg):
        self.cfg = cfg

    def ping(self, deadline) -> None:
        return None

    def fetchrow(self, sql: str, deadline, what: str, columns: tuple) -> dict:
        (row,) = self.recorded.rows(sql)
        return row   # by column name, as the database's copied row is

    def close(self) -> None:
        return None


def _log_stream(text: str) -> bytes:
    """The recorded lines as dockerd sends a non-TTY container's log: stdcopy frames (stream
    byte 1 = stdout, where ws_tick_collector.py's logging.StreamHandler(sys.stdout) writes;
    three zero bytes; big-endian length), each line led by its RFC 3339 nanosecond stamp.
    The exporter counts only lines newer than its own start (history is not news), so the
    recorded stamps are replaced by now + 1 ms per line: the order is kept, the spacing (which
    the exporter does not read) is not."""
    start = time.time_ns()
    frames = []
    for i, line in enumerate(line for line in text.splitlines() if line):
        ns = start + i * 1_000_000
        stamp = datetime.fromtimestamp(ns // 1_000_000_000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
        payload = f"{stamp}.{ns % 1_000_000_000:09d}Z {line.split(' ', 1)[1]}\n".encode()
        frames.append(struct.pack(">BxxxL", 1, len(payload)) + payload)
    return b"".join(frames)


def _docker_answers(src: dict):
    """dockerd's answers by path (the API version prefix /vX.Y is ignored): a function
    path -> (status, content type, body)."""
    def body(name: str) -> bytes:
        return (folder() / src[name]["file"]).read_bytes()
    served_logs = []
    container_id = json.loads(body("docker_inspect"))["Id"]

    def answer(path: str) -> tuple[int, str, bytes]:
        path = re.sub(r"^/v\d+\.\d+", "", path.split("?")[0])
        if path == "/version":
            return 200, "application/json", body("docker_version")
        if path == "/containers/json":
            return 200, "application/json", body("docker_containers")
        m = re.fullmatch(r"/containers/([0-9a-f]+)/(json|stats|logs)", path)
        if m is None or m.group(1) != container_id:
            return 404, "application/json", json.dumps({"message": f"No such container: {path}"}).encode()
        if m.group(2) == "json":
            return 200, "application/json", body("docker_inspect")
        if m.group(2) == "stats":
            return 200, "application/json", body("docker_stats")
        # The first read, at the exporter's start, finds no new line; the recorded lines come after.
        served_logs.append(path)
        raw = _log_stream(body("docker_logs").decode()) if len(served_logs) > 1 else b""
        return 200, "application/vnd.docker.multiplexed-stream", raw
    return answer


@contextlib.contextmanager
def _fake_dockerd(sock: str, answer):
    """A FAKE dockerd on the unix socket `sock`, answering GETs with `answer(path)` (one per
    connection: http.server's HTTP/1.0), on threads of its own while the block runs."""
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            status, content_type, data = answer(self.path)
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):  # a unix peer has no address to log
            pass

    class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
        pass

    server = Server(sock, Handler)
    thread = threading.Thread(target=server.serve_forever, name="fake-dockerd", daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


def render() -> str:
    """The exporter's `/metrics` (Prometheus text) from the recorded answers, normalised."""
    src = sources()
    RecordedTimescale.recorded = RecordedStatements(folder() / src["rows"]["file"])
    with tempfile.TemporaryDirectory(prefix="lookout-golden-ticks-") as tmp:
        sock = str(Path(tmp) / "docker.sock")
        with _fake_dockerd(sock, _docker_answers(src)):
            cfg = Loader(EXPORTER.namespace, environ={}).load(EXPORTER.config_class, {
                "database": {"dsn": "postgresql://postgres@127.0.0.1:5432/crypto_data"},  # not dialled
                "tables": [{"name": "eth_option_quotes", "instrument_column": "instrument"},
                           {"name": "eth_option_trades", "instrument_column": "instrument"}],
                "docker": {"host": f"unix://{sock}", "containers": [CONTAINER]},
            })
            with replaced(database_module, "Database", RecordedTimescale):  # build() imports it from .database
                collectors = EXPORTER.build(cfg)
            text = scrape(EXPORTER.namespace, collectors)
    return normalise(text, VOLATILE)
