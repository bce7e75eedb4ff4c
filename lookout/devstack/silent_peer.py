"""A TCP peer that accepts connections and never answers: the worst a frozen or half-dead
server looks like from the client's side (the kernel completes the handshake, nothing follows).
Not a stand-in for any application: a fault, named as such."""
from __future__ import annotations

import socket
import threading


class SilentPeer:
    """Listens on 127.0.0.1:<random port>; accepted sockets are held open, silent, until close()."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1024)
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, socket.timeout):
                continue
            except OSError:
                return
            self.held.append(conn)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        for conn in self.held:
            conn.close()
        self.sock.close()

    def __enter__(self) -> "SilentPeer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
