"""A TCP peer that accepts connections and never answers: the worst a frozen or half-dead
server looks like from the client's side (the kernel completes the handshake, nothing follows).
Not a stand-in for any application: a fault, named as such."""
from __future__ import annotations

import socket

from .listener import Listener


class SilentPeer(Listener):
    """Listens on 127.0.0.1:<random port>; accepted sockets are held open, silent, until close()."""

    def __init__(self):
        super().__init__(backlog=1024)
        self.held: list[socket.socket] = []
        self.start()

    def accepted(self, conn: socket.socket) -> None:
        self.held.append(conn)

    def close(self) -> None:
        super().close()
        for conn in self.held:
            conn.close()
