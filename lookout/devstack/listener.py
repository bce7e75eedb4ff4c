"""A loopback TCP listener on a random port that hands each accepted socket to its subclass:
the plumbing under the devstack's network faults (silent_peer, freezing_proxy)."""
from __future__ import annotations

import socket
import threading


class Listener:
    """127.0.0.1:<random port>; `accepted(conn)` runs on the accept thread for each connection."""

    def __init__(self, backlog: int = 128):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(backlog)
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def accepted(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def _accept(self) -> None:
        # A timeout, so close() is noticed within 0.2 s.
        self.sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, socket.timeout):
                continue
            except OSError:
                return
            self.accepted(conn)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
