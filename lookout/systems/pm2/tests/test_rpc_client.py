"""The blocking RPC client against daemons that misbehave in ways the real PM2 cannot be made to:
FAKE daemons (plain unix sockets in a throwaway dir) that answer half a reply, drip it a byte at
a time, or never accept. The real daemon (killed, stale socket, SIGSTOP) is test_daemon.py's.

The wire format is PM2's axon request/reply (pm2-axon-rpc: the reply is [body, id])."""
from __future__ import annotations

import socket
import threading
import time

import pytest

from lookout.exporters.runtime import CollectError
from lookout.pm2rpc import DaemonDown, RpcClient, amp


def _reply_to(conn: socket.socket) -> bytes:
    """Our request read whole, and the reply the daemon would send to it."""
    reader = conn.makefile("rb")
    request = amp.read_message(reader.read)
    return amp.encode([{"args": [[{"name": "a", "pm_id": 0}]]}, request[-1]])


@pytest.fixture
def daemon(tmp_path):
    """FAKE daemon: `daemon(answer)` listens on a fresh socket and runs `answer(conn)` for each
    connection on a thread; returns the socket's path."""
    listeners, threads = [], []

    def start(answer, accept=True):
        path = str(tmp_path / f"rpc{len(listeners)}.sock")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(path)
        listener.listen(0 if not accept else 8)
        listeners.append(listener)

        def serve():
            while True:
                try:
                    conn, _ = listener.accept()
                except OSError:
                    return
                with conn:
                    try:
                        answer(conn)
                    except OSError:
                        pass
        if accept:
            thread = threading.Thread(target=serve, daemon=True)
            thread.start()
            threads.append(thread)
        return path
    yield start
    for listener in listeners:
        try:
            listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept
        except OSError:
            pass
        listener.close()
    for thread in threads:
        thread.join(5)


def test_a_whole_reply_is_read(daemon):
    path = daemon(lambda conn: conn.sendall(_reply_to(conn)))
    assert RpcClient(path).call("getMonitorData", {}, 2.0) == [[{"name": "a", "pm_id": 0}]]


def test_a_reply_cut_short_is_daemon_down(daemon):
    path = daemon(lambda conn: conn.sendall(_reply_to(conn)[:-5]))  # then the daemon closes
    with pytest.raises(DaemonDown, match="closed .* before answering getMonitorData") as failed:
        RpcClient(path).call("getMonitorData", {}, 2.0)
    assert failed.value.reason == "connection"


def test_the_timeout_bounds_the_whole_call_not_each_read(daemon):
    """A reply dripped a byte every 50 ms: every read gets something well within the timeout,
    the call as a whole does not."""
    def drip(conn):
        for byte in _reply_to(conn):
            conn.sendall(bytes([byte]))
            time.sleep(0.05)
    path = daemon(drip)
    start = time.monotonic()
    with pytest.raises(CollectError) as failed:
        RpcClient(path).call("getMonitorData", {}, 0.5)
    assert failed.value.reason == "timeout" and not isinstance(failed.value, DaemonDown)
    assert time.monotonic() - start < 0.9


def test_a_daemon_that_never_answers_times_out(daemon):
    path = daemon(lambda conn: time.sleep(1.5))  # reads nothing, answers nothing
    start = time.monotonic()
    with pytest.raises(CollectError) as failed:
        RpcClient(path).call("getMonitorData", {}, 0.4)
    assert failed.value.reason == "timeout"
    assert time.monotonic() - start < 0.8


def test_a_daemon_that_accepts_nothing_times_out(daemon):
    """A full listen backlog (a daemon too busy to accept): not "down", and not longer than the
    timeout."""
    path = daemon(None, accept=False)
    held = []
    for _ in range(4):  # fill the backlog (0: the kernel allows one pending connection)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.setblocking(False)
        try:
            sock.connect(path)
        except BlockingIOError:
            sock.close()
            break
        held.append(sock)
    try:
        start = time.monotonic()
        with pytest.raises(CollectError) as failed:
            RpcClient(path).call("getMonitorData", {}, 0.4)
        assert failed.value.reason == "timeout" and not isinstance(failed.value, DaemonDown)
        assert time.monotonic() - start < 0.8
    finally:
        for sock in held:
            sock.close()
