"""The Engine API client of dockerapi.py on its own terms: a daemon that never answers costs a
scrape its deadline and one thread, never more; a kept-alive connection the daemon closed is
dialled again; Docker's error text and its log stream format are read as Docker defines them.

A FAKE dockerd (a unix socket served by the test) stands in where the real engine cannot be
made to misbehave on cue; the real engine's answers are read in test_containers.py and
test_logs.py."""
from __future__ import annotations

import json
import socket
import struct
import threading
import time

import pytest

from lookout.exporters.runtime import CollectError, Deadline, MetricSet
from lookout.systems.ticks.exporter.config import DockerConfig
from lookout.systems.ticks.exporter.containers import ContainerCollector
from lookout.systems.ticks.exporter.dockerapi import DockerDaemon, demultiplexed


class FakeDockerd:
    """A FAKE dockerd on a unix socket: `answer(request_bytes)` gives the bytes to send back
    (None: never answer), `close_after` closes each connection after that many answers."""

    def __init__(self, path: str, answer, close_after: int | None = None):
        self.answer, self.close_after = answer, close_after
        self.connections = 0
        self._stop = threading.Event()
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(path)
        self._listener.listen()
        self._listener.settimeout(0.1)
        self._held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:  # stopped
                return
            self.connections += 1
            self._held.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        answered, buf = 0, b""
        conn.settimeout(0.1)
        while not self._stop.is_set():
            try:
                data = conn.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            if not data:
                return
            buf += data
            while b"\r\n\r\n" in buf:
                request, buf = buf.split(b"\r\n\r\n", 1)
                reply = self.answer(request)
                if reply is None:
                    continue  # hung: the request is read, never answered
                conn.sendall(reply)
                answered += 1
                if self.close_after and answered >= self.close_after:
                    conn.close()
                    return

    def stop(self):
        self._stop.set()
        time.sleep(0.2)  # the accept loop notices
        self._listener.close()
        for conn in self._held:
            conn.close()


def reply(status: int, body: object) -> bytes:
    data = json.dumps(body).encode()
    return (f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
            .encode() + data)


@pytest.fixture
def dockerd(tmp_path):
    started = []

    def start(answer, close_after=None) -> tuple[FakeDockerd, DockerDaemon]:
        path = str(tmp_path / f"docker{len(started)}.sock")
        fake = FakeDockerd(path, answer, close_after)
        started.append(fake)
        return fake, DockerDaemon(DockerConfig(host=f"unix://{path}", containers=["eth-collector"]))
    yield start
    for fake in started:
        fake.stop()


def test_a_daemon_that_never_answers_costs_the_deadline_and_one_thread(dockerd):
    fake, daemon = dockerd(lambda request: None)
    collector = ContainerCollector(daemon)
    stuck: list[BaseException] = []

    def long_run():
        try:
            collector.collect(MetricSet("ticks"), Deadline(2.0))
        except BaseException as exc:
            stuck.append(exc)
    first = threading.Thread(target=long_run)
    started = time.monotonic()
    first.start()
    time.sleep(0.3)
    # A run of a later, shorter collection while the first still waits: it does not dial the
    # daemon again (one thread per hung daemon, not one per scrape) and fails at its deadline.
    t0 = time.monotonic()
    with pytest.raises(CollectError) as short:
        collector.collect(MetricSet("ticks"), Deadline(0.3))
    assert short.value.reason == "timeout"
    assert "still waiting for the Docker daemon" in str(short.value)
    assert time.monotonic() - t0 < 0.6
    assert fake.connections == 1
    first.join(5)
    # The first run ends at its own deadline, with an honest timeout.
    assert time.monotonic() - started < 2.6
    assert [(e.reason, str(e)) for e in stuck] == [
        ("timeout", f"listing containers: the Docker daemon at {daemon.where} did not answer in time")]
    collector.close()


def test_a_kept_alive_connection_the_daemon_closed_is_dialled_again(dockerd):
    summary = {"Id": "0" * 64, "Names": ["/eth-collector"]}
    fake, daemon = dockerd(lambda request: reply(200, [summary]), close_after=1)
    for _ in range(3):
        assert [s["name"] for s in daemon.select(Deadline(2))] == ["eth-collector"]
    assert fake.connections == 3
    daemon.close()


def test_dockers_error_message_is_the_failure(dockerd):
    # Engine API: an error answer is {"message": "..."} with the HTTP status.
    _, daemon = dockerd(lambda request: reply(500, {"message": "page not found: the daemon is shutting down"}))
    collector = ContainerCollector(daemon)
    with pytest.raises(CollectError) as err:
        collector.collect(MetricSet("ticks"), Deadline(2))
    assert (err.value.reason, str(err.value)) == (
        "api", "listing containers: Docker answered 500: page not found: the daemon is shutting down")
    collector.close()


def test_the_log_stream_is_demultiplexed_as_docker_frames_it():
    """Engine API, "Stream format": without a TTY each write is a frame of an 8-byte header
    (stream 1 stdout / 2 stderr, three zero bytes, big-endian uint32 size) and the payload;
    with a TTY the text comes as is."""
    def frame(stream: int, text: bytes) -> bytes:
        return struct.pack(">BxxxL", stream, len(text)) + text
    lines = [b"2026-11-22T07:00:00.000000001Z ERROR one\n", b"2026-11-22T07:00:00.000000002Z out two\n"]
    raw = frame(1, lines[1]) + frame(2, lines[0]) + frame(1, lines[1])
    assert demultiplexed(raw) == lines[1] + lines[0] + lines[1]
    assert demultiplexed(raw + frame(2, lines[0])[:12]) == lines[1] + lines[0] + lines[1]  # a cut last frame
    tty = b"".join(lines)
    assert demultiplexed(tty) == tty
    assert demultiplexed(b"") == b""
