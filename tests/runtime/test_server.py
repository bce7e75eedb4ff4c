"""runtime/server.py over real loopback sockets, with a fake handler (no exporter: these are the
connection rules of the module docstring, whatever is served).

`FakeWebConfig` stands in for webconfig.WebConfig (the server reads only `ssl_context`).
The SIGTERM cases run `serve_until_signalled` in a child process, on its main thread, as an
exporter does.
"""
from __future__ import annotations

import http.client
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

import pytest

from lookout.devstack.certs import make_ca, make_leaf
from lookout.devstack.proc import ROOT
from lookout.exporters.runtime.server import Response, Server


@dataclass
class FakeWebConfig:
    ssl_context: ssl.SSLContext | None = None
    users: dict | None = None


class Served:
    """A Server on 127.0.0.1:<random> with its loop on a thread of this test."""

    def __init__(self, handler, idle_timeout=1.0, web=None, **kw):
        self.server = Server(handler, lambda: web or FakeWebConfig(), idle_timeout=idle_timeout, **kw)
        self.host, self.port = self.server.listen("127.0.0.1", 0)
        self.thread = threading.Thread(target=self.server.serve, daemon=True)
        self.thread.start()

    def get(self, path="/", timeout=10) -> tuple[int, bytes]:
        c = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            c.request("GET", path)
            r = c.getresponse()
            return r.status, r.read()
        finally:
            c.close()

    def stop(self):
        self.server.stop()
        self.thread.join(5)
        self.server.close()


@pytest.fixture
def serve():
    started = []

    def run(handler, **kw):
        s = Served(handler, **kw)
        started.append(s)
        return s
    yield run
    for s in started:
        s.stop()


def ok(request):
    return Response(200, b"ok " + request.path.encode())


def _closed(sock: socket.socket, within: float) -> float | None:
    """Seconds until the server closed `sock` (EOF or reset), None if it did not within `within`."""
    t0 = time.monotonic()
    sock.settimeout(0.1)
    while time.monotonic() - t0 < within:
        try:
            if sock.recv(65536) == b"":
                return time.monotonic() - t0
        except socket.timeout:
            continue
        except OSError:
            return time.monotonic() - t0
    return None


def test_keep_alive_serves_many_requests_on_one_connection_in_order(serve):
    s = serve(ok)
    c = http.client.HTTPConnection(s.host, s.port, timeout=10)
    for i in range(50):
        c.request("GET", f"/{i}")
        r = c.getresponse()
        assert (r.status, r.read()) == (200, f"ok /{i}".encode())
    with socket.create_connection((s.host, s.port), timeout=10) as p:  # pipelined
        p.sendall(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := p.recv(65536):
            data += chunk
    assert data.count(b"HTTP/1.1 200") == 2 and data.index(b"ok /a") < data.index(b"ok /b")


def test_idle_connections_hold_no_thread(serve):
    s = serve(ok, idle_timeout=30)
    assert s.get("/warm") == (200, b"ok /warm")
    before = threading.active_count()
    idle = [socket.create_connection((s.host, s.port), timeout=5) for _ in range(300)]
    try:
        half = [socket.create_connection((s.host, s.port), timeout=5) for _ in range(50)]
        for h in half:
            h.sendall(b"GET /half HTTP/1.1\r\nHost: x\r\n")  # a head that never ends
        assert s.get("/still") == (200, b"ok /still")
        assert threading.active_count() <= before + 1
    finally:
        for sock in idle + half:
            sock.close()


def test_request_threads_are_capped_and_the_rest_wait_their_turn(serve):
    release = threading.Event()
    running, most = [0], [0]
    lock = threading.Lock()

    def held(request):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        release.wait(10)
        with lock:
            running[0] -= 1
        return Response(200, b"done")
    s = serve(held, idle_timeout=10, max_threads=4)
    results = []
    clients = [threading.Thread(target=lambda: results.append(s.get("/x"))) for _ in range(10)]
    for t in clients:
        t.start()
    deadline = time.monotonic() + 5
    while most[0] < 4 and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.2)
    assert most[0] == 4 and not results
    release.set()
    for t in clients:
        t.join(10)
    assert results == [(200, b"done")] * 10 and most[0] == 4


def test_a_slow_answer_does_not_hold_up_other_connections(serve):
    release = threading.Event()

    def handler(request):
        if request.path == "/slow":
            release.wait(10)
        return ok(request)
    s = serve(handler, idle_timeout=10)
    slow = threading.Thread(target=s.get, args=("/slow",))
    slow.start()
    try:
        t0 = time.monotonic()
        assert s.get("/-/healthy") == (200, b"ok /-/healthy")
        assert time.monotonic() - t0 < 1
    finally:
        release.set()
        slow.join(10)


def test_a_head_that_never_completes_is_closed_after_idle_timeout(serve):
    s = serve(ok, idle_timeout=1.0)
    with socket.create_connection((s.host, s.port), timeout=5) as sock:
        # Slowloris: a line of the head every 0.2 s, never its end; the server must not count
        # its idle time from the last byte.
        sock.sendall(b"GET / HTTP/1.1\r\n")
        sock.settimeout(0.2)
        t0 = time.monotonic()
        closed_after = None
        while closed_after is None and time.monotonic() - t0 < 5:
            try:
                sock.sendall(b"X-A: b\r\n")
                if sock.recv(1) == b"":
                    closed_after = time.monotonic() - t0
            except socket.timeout:
                continue
            except OSError:
                closed_after = time.monotonic() - t0
    assert closed_after is not None and closed_after < 2.0, closed_after


@pytest.mark.parametrize("reader", ["none", "trickle"])
def test_a_client_that_does_not_read_its_answer_is_dropped(serve, reader):
    """The whole answer within idle_timeout, not each piece of it: a client reading a little
    now and then is dropped as surely as one that reads nothing, and its thread is freed."""
    big = b"x" * (32 << 20)
    s = serve(lambda r: Response(200, big) if r.path == "/big" else ok(r), idle_timeout=1.0, max_threads=1)
    sock = socket.create_connection((s.host, s.port), timeout=5)
    sock.sendall(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
    t0 = time.monotonic()
    got, dropped = 0, False
    try:
        while time.monotonic() - t0 < 6:
            time.sleep(0.5 if reader == "none" else 0.02)
            if reader == "none" and time.monotonic() - t0 < 3:
                continue
            try:
                chunk = sock.recv(65536 if reader == "trickle" else 1 << 20)  # trickle: about 3 MB/s
            except OSError:
                dropped = True
                break
            if not chunk:
                dropped = True
                break
            got += len(chunk)
    finally:
        sock.close()
    assert dropped and got < len(big), (got, time.monotonic() - t0)
    # The only request thread is free again.
    assert s.get("/after", timeout=5) == (200, b"ok /after")


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    d = tmp_path_factory.mktemp("pki")
    ca = make_ca(d)
    crt, key = make_leaf(d, ca, "server", dns=["localhost"], ips=["127.0.0.1"])
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(crt, key)
    return ca, ctx


def test_tls_with_a_stalled_handshake_beside_it(serve, pki):
    ca, server_ctx = pki
    big = bytes(range(256)) * 16384  # 4 MiB: many TLS records, sends that would block
    s = serve(lambda r: Response(200, big) if r.path == "/big" else ok(r), idle_timeout=1.0,
              web=FakeWebConfig(ssl_context=server_ctx))
    stalled = socket.create_connection((s.host, s.port), timeout=5)  # connects, never says hello
    half = socket.create_connection((s.host, s.port), timeout=5)
    half.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")  # the start of a ClientHello only
    try:
        c = http.client.HTTPSConnection(s.host, s.port, timeout=5, context=ssl.create_default_context(cafile=str(ca[0])))
        for i in range(20):
            c.request("GET", f"/{i}")
            r = c.getresponse()
            assert (r.status, r.read()) == (200, f"ok /{i}".encode())
        for _ in range(3):
            c.request("GET", "/big")
            assert c.getresponse().read() == big
        c.close()
        for sock in (stalled, half):
            took = _closed(sock, 4)
            assert took is not None and took < 2.5
    finally:
        stalled.close()
        half.close()
    with socket.create_connection((s.host, s.port), timeout=5) as plain:  # plain HTTP is not served
        plain.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        try:
            while chunk := plain.recv(65536):
                data += chunk
        except OSError:
            pass
        assert b"HTTP/1.1 200" not in data


CHILD = r"""
import sys, threading, time
from lookout.exporters.runtime.server import Response, Server, serve_until_signalled
stuck = threading.Event()
class FakeWebConfig:
    ssl_context = None
def handler(request):
    if request.path == "/stuck":
        stuck.wait()
    if request.path == "/slow":
        time.sleep(0.5)
    return Response(200, b"answered " + request.path.encode())
def on_stop():
    print("on_stop", flush=True)
    if sys.argv[1] == "stuck-stop":
        stuck.wait()
serve_until_signalled(Server(handler, FakeWebConfig, idle_timeout=5), "127.0.0.1", 0,
                      on_listening=lambda b: print(b[1], flush=True), on_stop=on_stop,
                      on_reload=lambda: print("reload", flush=True), exit_within=2.0)
print("returned", flush=True)
"""


def _child(mode: str):
    p = subprocess.Popen([sys.executable, "-c", CHILD, mode], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    return p, int(p.stdout.readline())


def _send(port: int, path: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    return sock


def test_sigterm_lets_an_answer_in_progress_finish_and_closes_idle_ones():
    p, port = _child("normal")
    try:
        idle = socket.create_connection(("127.0.0.1", port), timeout=10)
        slow = _send(port, "/slow")
        time.sleep(0.1)
        p.send_signal(signal.SIGHUP)
        assert p.stdout.readline().strip() == "reload"
        t0 = time.monotonic()
        p.send_signal(signal.SIGTERM)
        data = b""
        while chunk := slow.recv(65536):
            data += chunk
        assert data.startswith(b"HTTP/1.1 200") and data.endswith(b"answered /slow")
        assert _closed(idle, 2) is not None
        assert [p.stdout.readline().strip() for _ in range(2)] == ["on_stop", "returned"]
        assert p.wait(5) == 0 and time.monotonic() - t0 < 1.5
        with pytest.raises(OSError):  # no longer listening
            socket.create_connection(("127.0.0.1", port), timeout=2)
    finally:
        p.kill()


@pytest.mark.parametrize("mode", ["stuck-answer", "stuck-stop"])
def test_sigterm_ends_the_process_within_exit_within_whatever_is_stuck(mode):
    p, port = _child(mode)
    try:
        held = _send(port, "/stuck") if mode == "stuck-answer" else None
        time.sleep(0.2)
        t0 = time.monotonic()
        p.send_signal(signal.SIGTERM)
        assert p.wait(5) == 0
        assert time.monotonic() - t0 < 2.0 + 0.5
        if held:
            held.close()
    finally:
        p.kill()


OUT_OF_DESCRIPTORS = r"""
import resource, sys
from lookout.exporters.runtime.server import Response, Server
resource.setrlimit(resource.RLIMIT_NOFILE, (64, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
class FakeWebConfig:
    ssl_context = None
server = Server(lambda request: Response(200, b"served"), FakeWebConfig, idle_timeout=1.5)
print(server.listen("127.0.0.1", 0)[1], flush=True)
server.serve()
"""


def test_out_of_descriptors_the_loop_waits_instead_of_spinning_and_recovers():
    p = subprocess.Popen([sys.executable, "-c", OUT_OF_DESCRIPTORS], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        port = int(p.stdout.readline())
        held = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(100)]  # past 64
        time.sleep(0.3)
        with open(f"/proc/{p.pid}/stat") as f:
            before = sum(int(x) for x in f.read().rsplit(")", 1)[1].split()[11:13])
        time.sleep(1.0)
        with open(f"/proc/{p.pid}/stat") as f:
            after = sum(int(x) for x in f.read().rsplit(")", 1)[1].split()[11:13])
        assert (after - before) / os.sysconf("SC_CLK_TCK") < 0.3  # not a busy loop on accept
        for sock in held:
            sock.close()
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)  # served once descriptors are free
        c.request("GET", "/")
        assert c.getresponse().read() == b"served"
    finally:
        p.kill()


def test_a_tls_client_that_does_not_read_its_answer_is_dropped(serve, pki):
    ca, server_ctx = pki
    big = b"x" * (32 << 20)
    s = serve(lambda r: Response(200, big) if r.path == "/big" else ok(r), idle_timeout=1.0, max_threads=1,
              web=FakeWebConfig(ssl_context=server_ctx))
    raw = socket.create_connection((s.host, s.port), timeout=5)
    tls = ssl.create_default_context(cafile=str(ca[0])).wrap_socket(raw, server_hostname="localhost")
    tls.sendall(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(3)  # reads nothing for three idle timeouts
    got, dropped = 0, False
    try:
        while got < len(big):
            chunk = tls.recv(1 << 20)
            if not chunk:
                dropped = True
                break
            got += len(chunk)
    except OSError:
        dropped = True
    finally:
        tls.close()
    assert dropped and got < len(big)
    c = http.client.HTTPSConnection(s.host, s.port, timeout=5, context=ssl.create_default_context(cafile=str(ca[0])))
    c.request("GET", "/after")  # the only request thread is free again
    assert c.getresponse().read() == b"ok /after"


def test_clients_that_do_not_read_do_not_delay_a_scrape_past_its_deadline():
    big = b"x" * (100 << 10)
    s = Served(lambda r: Response(200, big) if r.path == "/metrics" else ok(r), idle_timeout=5.0)
    holders = []
    try:
        for _ in range(64):
            h = socket.create_connection((s.host, s.port))
            h.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            h.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n" * 100)
            holders.append(h)
        time.sleep(1.0)
        t0 = time.monotonic()
        status, _ = s.get("/", timeout=20)
        took = time.monotonic() - t0
        assert status == 200
        assert took < 2.0, f"a request waited {took:.1f}s behind clients that do not read"
    finally:
        for h in holders:
            h.close()
        s.stop()


def test_a_pipelining_client_that_does_not_read_gets_no_further_request_answered(serve):
    """Memory stays bounded: while an answer is unsent, the connection's next requests are not
    read (h11's PAUSED), so at most one answer per connection is held."""
    big = b"x" * (1 << 20)
    calls = [0]

    def counted(request):
        calls[0] += 1
        return Response(200, big)
    s = serve(counted, idle_timeout=30)
    with socket.socket() as h:
        h.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        h.connect((s.host, s.port))
        h.sendall(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n" * 50)
        time.sleep(1.0)
        held = calls[0]
        assert held <= 5  # what the kernel's buffers took, and one answer held by the server
        time.sleep(0.5)
        assert calls[0] == held
        got = b""
        h.settimeout(10)
        while got.count(b"HTTP/1.1 200") < 3 or len(got) < 3 * len(big):  # reading lets the next ones through
            got += h.recv(1 << 20)
    assert calls[0] >= 3


def test_a_request_thread_that_cannot_start_does_not_end_the_server(monkeypatch):
    import http.client, threading  # noqa: E401,F811
    s = Served(lambda r: Response(200, b"ok"), idle_timeout=5.0)
    real, fail = threading.Thread.start, [1]
    def start(self):
        if self.name.startswith("http-run") and fail:
            fail.pop()
            raise RuntimeError("can't start new thread")
        return real(self)
    monkeypatch.setattr(threading.Thread, "start", start)
    try:
        try:
            c = http.client.HTTPConnection(s.host, s.port, timeout=2)
            c.request("GET", "/")
            c.getresponse().read()
        except OSError:
            pass
        assert s.thread.is_alive(), "the server's loop ended"
        assert s.get("/after", timeout=3) == (200, b"ok")
    finally:
        s.stop()


def test_a_request_whose_thread_cannot_start_gets_a_503_and_one_warning(serve, monkeypatch):
    from lookout.exporters.runtime import logs
    s = serve(ok, idle_timeout=5.0)
    real = threading.Thread.start

    def start(self):
        if self.name.startswith("http-run"):
            raise RuntimeError("can't start new thread")
        return real(self)
    monkeypatch.setattr(threading.Thread, "start", start)
    with logs.capture(logs.WARNING) as records:
        for _ in range(2):
            c = http.client.HTTPConnection(s.host, s.port, timeout=3)
            c.request("GET", "/")
            r = c.getresponse()
            assert (r.status, r.getheader("Retry-After"), r.getheader("Connection")) == (503, "1", "close")
            r.read()
            c.close()
    assert [r.msg for r in records if r.logger == "lookout.http"] == ["cannot start a request thread: answering 503"]
    monkeypatch.setattr(threading.Thread, "start", real)
    assert s.get("/after") == (200, b"ok /after")


def test_a_request_carries_its_arrival_and_one_queued_too_long_gets_a_503(serve):
    """With one request thread: the second request waits; it knows when it arrived (the
    scrape's deadline counts from there), and after idle_timeout without a thread it gets a 503."""
    release = threading.Event()
    waited = []

    def handler(request):
        if request.path == "/hold":
            release.wait(10)
        waited.append(time.monotonic() - request.arrived)
        return ok(request)
    s = serve(handler, idle_timeout=1.0, max_threads=1)
    hold = threading.Thread(target=s.get, args=("/hold",), daemon=True)
    hold.start()
    time.sleep(0.3)
    t0 = time.monotonic()
    c = http.client.HTTPConnection(s.host, s.port, timeout=5)
    c.request("GET", "/queued")
    r = c.getresponse()
    took = time.monotonic() - t0
    assert (r.status, r.getheader("Retry-After")) == (503, "1")
    assert took < 2.0
    c.close()
    # A request that waits less than idle_timeout is answered, and sees how long it waited.
    threading.Timer(0.5, release.set).start()
    hold.join(5)
    release.clear()
    hold = threading.Thread(target=s.get, args=("/hold",), daemon=True)
    hold.start()
    time.sleep(0.2)
    threading.Timer(0.5, release.set).start()
    assert s.get("/late") == (200, b"ok /late")
    hold.join(5)
    assert waited[-1] >= 0.4, waited


def test_deadline_counts_from_the_request_arrival():
    from lookout.exporters.runtime.http import App
    from lookout.exporters.runtime.server import Request
    app = App(None, "t", default_timeout=10.0, timeout_offset=0.5)
    request = Request("GET", "/metrics", {"x-prometheus-scrape-timeout-seconds": "10"}, "c", FakeWebConfig(),
                      time.monotonic() - 4.0)
    assert 5.0 < app.deadline_for(request).remaining() <= 5.5


def test_keep_alive_requests_keep_one_timer_entry_per_connection(serve):
    s = serve(ok, idle_timeout=30)
    c = http.client.HTTPConnection(s.host, s.port, timeout=10)
    for i in range(2000):
        c.request("GET", "/")
        r = c.getresponse()
        r.read()
    c.close()
    assert len(s.server._timers) <= 10


def test_a_handler_that_raises_answers_500_and_closes_and_logs_the_failure(serve):
    from lookout.exporters.runtime import logs

    def boom(request):
        raise RuntimeError("collection crashed")

    s = serve(boom)
    with logs.capture() as records:
        c = http.client.HTTPConnection(s.host, s.port, timeout=5)
        c.request("GET", "/metrics")
        r = c.getresponse()
        assert (r.status, r.getheader("Connection"), r.read()) == (500, "close", b"Internal Server Error\n")
        c.close()
    failed = [rec for rec in records if rec.msg == "request failed"]
    assert len(failed) == 1 and failed[0].fields["path"] == "/metrics"
    assert failed[0].exc_info[0] is RuntimeError
