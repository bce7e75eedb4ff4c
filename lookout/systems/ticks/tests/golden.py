"""The ETH option tick collector: TimescaleDB's rows for the exporter's statements and the
Docker Engine API's answers about the collector's container, recorded; the exporter's
`/metrics` from them.

The statements are answered from `recorded/rows.yml` through the exporter's own
Database seam (tests/golden/recorded_db.py); the Docker answers are served by an in-process
HTTP server on a unix socket that the exporter's Docker SDK client talks to, as it would to
dockerd, so listing, inspecting, stats and the multiplexed log stream are parsed for real.
The disk collector reads this machine's filesystems and is left out."""
from __future__ import annotations

import json
import re
import struct
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from aiohttp import web

import lookout.systems.ticks.exporter as exporter_package
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

    async def ping(self, deadline) -> None:
        return None

    async def fetchrow(self, sql: str, deadline, what: str, columns: tuple) -> dict:
        (row,) = self.recorded.rows(sql)
        return row   # by column name, as the database's copied row is

    async def close(self) -> None:
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


def _docker_app(src: dict) -> web.Application:
    """dockerd's answers, by route (the API version prefix /vX.Y is ignored)."""
    def body(name: str) -> bytes:
        return (folder() / src[name]["file"]).read_bytes()
    served_logs = []

    async def answer(request):
        path = re.sub(r"^/v\d+\.\d+", "", request.path)
        if path == "/version":
            return web.Response(body=body("docker_version"), content_type="application/json")
        if path == "/containers/json":
            return web.Response(body=body("docker_containers"), content_type="application/json")
        m = re.fullmatch(r"/containers/([0-9a-f]+)/(json|stats|logs)", path)
        if m is None or m.group(1) != json.loads(body("docker_inspect"))["Id"]:
            return web.json_response({"message": f"No such container: {path}"}, status=404)
        if m.group(2) == "json":
            return web.Response(body=body("docker_inspect"), content_type="application/json")
        if m.group(2) == "stats":
            return web.Response(body=body("docker_stats"), content_type="application/json")
        # The first read, at the exporter's start, finds no new line; the recorded lines come after.
        served_logs.append(path)
        raw = _log_stream(body("docker_logs").decode()) if len(served_logs) > 1 else b""
        return web.Response(body=raw, content_type="application/vnd.docker.multiplexed-stream")
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    return app


async def render() -> str:
    """The exporter's `/metrics` (Prometheus text) from the recorded answers, normalised."""
    src = sources()
    RecordedTimescale.recorded = RecordedStatements(folder() / src["rows"]["file"])
    with tempfile.TemporaryDirectory(prefix="lookout-golden-ticks-") as tmp:
        sock = str(Path(tmp) / "docker.sock")
        runner = web.AppRunner(_docker_app(src))
        await runner.setup()
        await web.UnixSite(runner, sock).start()
        try:
            cfg = Loader(EXPORTER.namespace, environ={}).load(EXPORTER.config_class, {
                "database": {"dsn": "postgresql://postgres@127.0.0.1:5432/crypto_data"},  # not dialled
                "tables": [{"name": "eth_option_quotes", "instrument_column": "instrument"},
                           {"name": "eth_option_trades", "instrument_column": "instrument"}],
                "docker": {"host": f"unix://{sock}", "containers": [CONTAINER]},
            })
            with replaced(exporter_package, "Database", RecordedTimescale):
                collectors = EXPORTER.build(cfg)
            text = await scrape(EXPORTER.namespace, collectors)
        finally:
            await runner.cleanup()
    return normalise(text, VOLATILE)
