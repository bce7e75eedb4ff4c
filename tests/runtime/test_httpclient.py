"""runtime/httpclient.py: blocking GETs over kept-alive connections, bounded in time, size and
number of connections, against real loopback servers speaking raw HTTP/1.1 (RFC 9112 framing:
Content-Length, chunked, connection close), scripted per connection."""
from __future__ import annotations

import gzip
import socket
import threading
import time

import pytest

from lookout.devstack.certs import make_ca, make_leaf
from lookout.exporters.runtime import CollectError
from lookout.exporters.runtime.httpclient import HttpClient, HttpError
from lookout.exporters.runtime.httpjson import client_for, get_capped


def _answer(body: bytes = b"ok", extra: str = "") -> bytes:
    return f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n{extra}\r\n".encode() + body


def _read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return b""
        data += chunk
    return data


class Server:
    """Accepts on 127.0.0.1 (random port); `handle(conn, n)` serves the n-th connection on a
    thread of its own. Counts connections, and the most open at once."""

    def __init__(self, handle, tls=None):
        self.handle, self.tls = handle, tls
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.open = self.most_open = 0
        self.lock = threading.Lock()
        self.stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.accepted += 1
                self.open += 1
                self.most_open = max(self.most_open, self.open)
                n = self.accepted
            threading.Thread(target=self._serve, args=(conn, n), daemon=True).start()

    def _serve(self, conn, n):
        try:
            if self.tls is not None:
                conn = self.tls.wrap_socket(conn, server_side=True)
            self.handle(conn, n)
        except OSError:
            pass
        finally:
            with self.lock:
                self.open -= 1
            conn.close()

    def close(self):
        self.stop.set()
        self.sock.close()


@pytest.fixture
def serve():
    servers = []

    def start(handle, tls=None):
        servers.append(Server(handle, tls))
        return servers[-1]

    yield start
    for s in servers:
        s.close()


def _keep_alive(conn, n):
    while _read_request(conn):
        conn.sendall(_answer(b"answer %d" % n))


def test_answers_reuse_one_kept_alive_connection(serve):
    srv = serve(_keep_alive)
    client = HttpClient(f"http://127.0.0.1:{srv.port}")
    bodies = [client.get("/x", 2, 1000).body for _ in range(3)]
    assert bodies == [b"answer 1"] * 3 and srv.accepted == 1
    client.close()


def test_a_kept_alive_connection_the_server_closed_is_retried_once_on_a_fresh_one(serve):
    def once_then_close(conn, n):
        if _read_request(conn):
            conn.sendall(_answer(b"answer %d" % n))  # keep-alive by default, then hangs up
    srv = serve(once_then_close)
    client = HttpClient(f"http://127.0.0.1:{srv.port}")
    assert client.get("/", 2, 1000).body == b"answer 1"
    time.sleep(0.1)  # the server's close reaches us
    assert client.get("/", 2, 1000).body == b"answer 2"
    assert srv.accepted == 2


def test_a_fresh_connection_closed_before_an_answer_is_not_retried(serve):
    def hang_up(conn, n):
        _read_request(conn)
    srv = serve(hang_up)
    with pytest.raises(HttpError) as err:
        HttpClient(f"http://127.0.0.1:{srv.port}").get("/", 2, 1000)
    assert err.value.kind == "connection" and srv.accepted == 1


def test_a_dripping_server_is_cut_off_at_the_timeout_not_per_read(serve):
    """Each byte arrives well within the timeout; the exchange as a whole does not."""
    def drip(conn, n):
        _read_request(conn)
        head = b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"
        for byte in [head[i:i + 1] for i in range(len(head))] + [b"x"] * 1000:
            conn.sendall(byte)
            time.sleep(0.05)
    srv = serve(drip)
    t0 = time.monotonic()
    with pytest.raises(HttpError) as err:
        HttpClient(f"http://127.0.0.1:{srv.port}").get("/", 0.5, 10_000)
    took = time.monotonic() - t0
    assert err.value.kind == "timeout"
    assert took < 2.0, took  # 0.5 s, not the 50 s the whole answer takes


def test_a_silent_server_is_a_timeout(serve):
    srv = serve(lambda conn, n: (_read_request(conn), time.sleep(3)))
    with pytest.raises(CollectError) as err:
        get_capped(client_for(f"http://127.0.0.1:{srv.port}/"), f"http://127.0.0.1:{srv.port}/health", 0.3, 100)
    assert err.value.reason == "timeout"


def test_nothing_listening_is_a_connection_failure():
    with socket.create_server(("127.0.0.1", 0)) as s:
        port = s.getsockname()[1]
    with pytest.raises(HttpError) as err:
        HttpClient(f"http://127.0.0.1:{port}").get("/", 1, 100)
    assert err.value.kind == "connection"


@pytest.mark.parametrize("answer,kind", [
    (_answer(b"x" * 101), "too_large"),  # refused on the declared length
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + b"40\r\n" + b"x" * 64 + b"\r\n"
     + b"40\r\n" + b"x" * 64 + b"\r\n0\r\n\r\n", "too_large"),  # counted while reading
    (_answer(gzip.compress(b"x" * 5000), "Content-Encoding: gzip\r\n"), "too_large"),  # after decoding
    (b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort", "payload"),  # then the server hangs up
    (b"SMTP ready\r\n\r\n", "http"),
])
def test_limits_and_malformed_answers(serve, answer, kind):
    def once(conn, n):
        _read_request(conn)
        conn.sendall(answer)
    srv = serve(once)
    with pytest.raises(HttpError) as err:
        HttpClient(f"http://127.0.0.1:{srv.port}").get("/", 2, 100)
    assert err.value.kind == kind


def test_not_strict_returns_what_came(serve):
    def once(conn, n):
        _read_request(conn)
        conn.sendall(_answer(gzip.compress(b"y" * 500), "Content-Encoding: gzip\r\n"))
    srv = serve(once)
    answer = HttpClient(f"http://127.0.0.1:{srv.port}").get("/", 2, 100, strict=False)
    assert (answer.status, answer.body) == (200, b"y" * 100)


def test_at_most_limit_connections_for_many_threads_and_every_answer_right(serve):
    def slow(conn, n):
        while (req := _read_request(conn)):
            time.sleep(0.01)
            conn.sendall(_answer(req.split(b" ")[1]))
    srv = serve(slow)
    client = HttpClient(f"http://127.0.0.1:{srv.port}", limit=2)
    wrong, errors = [], []

    def worker(i):
        for j in range(10):
            try:
                body = client.get(f"/{i}/{j}", 5, 1000).body
            except HttpError as exc:
                errors.append(exc)
                continue
            if body != f"/{i}/{j}".encode():
                wrong.append(body)
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors and not wrong
    assert srv.most_open <= 2 and srv.accepted <= 2


def test_a_caller_waiting_for_a_connection_times_out_in_time(serve):
    release = threading.Event()

    def held(conn, n):
        _read_request(conn)
        release.wait(5)
        conn.sendall(_answer())
    srv = serve(held)
    client = HttpClient(f"http://127.0.0.1:{srv.port}", limit=1)
    first = threading.Thread(target=lambda: client.get("/", 5, 100))
    first.start()
    time.sleep(0.1)
    t0 = time.monotonic()
    try:
        with pytest.raises(HttpError) as err:
            client.get("/", 0.3, 100)
        assert err.value.kind == "timeout" and time.monotonic() - t0 < 2.0
        assert srv.accepted == 1  # it never opened a second connection past the limit
    finally:
        release.set()
        first.join(5)


def test_https_verifies_the_certificate_against_the_given_context(serve, tmp_path):
    import ssl
    ca = make_ca(tmp_path)
    crt, key = make_leaf(tmp_path, ca, "server", ["localhost"], ["127.0.0.1"])
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(crt, key)
    srv = serve(_keep_alive, tls=server_ctx)
    trusting = ssl.create_default_context(cafile=str(ca[0]))
    client = HttpClient(f"https://127.0.0.1:{srv.port}", tls=trusting)
    assert client.get("/", 5, 100).body == b"answer 1"
    assert client.get("/", 5, 100).body == b"answer 1"  # kept alive over TLS too
    client.close()
    with pytest.raises(HttpError) as err:  # the system's CAs do not know this one
        HttpClient(f"https://127.0.0.1:{srv.port}").get("/", 5, 100)
    assert err.value.kind == "connection" and "CERTIFICATE_VERIFY_FAILED" in str(err.value)
    assert HttpClient(f"https://127.0.0.1:{srv.port}", verify=False).get("/", 5, 100).status == 200
