"""A TCP proxy whose existing connections can be frozen while new ones pass: the state where
a server answers new connections again but the client's old sockets stay stuck (a half-open
connection after a failover, a NAT that dropped its entry). Not a stand-in for an application."""
from __future__ import annotations

import select
import socket
import threading

from .listener import Listener


class FreezingProxy(Listener):
    """127.0.0.1:<random port> forwarding to `target`; freeze_existing() stops forwarding on every
    connection open at that moment (both directions, sockets held open), new ones still forward;
    stall_new(True) freezes new connections too, until stall_new(False)."""

    def __init__(self, target_port: int, target_host: str = "127.0.0.1"):
        super().__init__()
        self.target = (target_host, target_port)
        self._pairs: list[tuple[socket.socket, socket.socket, threading.Event]] = []
        self._lock = threading.Lock()
        self._stall_new = threading.Event()
        self.start()

    def freeze_existing(self) -> int:
        """Freeze every connection open now; returns how many."""
        with self._lock:
            for _, _, frozen in self._pairs:
                frozen.set()
            return len(self._pairs)

    def stall_new(self, on: bool) -> None:
        """While on, connections accepted are frozen from the start (the client waits for the
        server's greeting forever); they stay frozen when it is turned off."""
        (self._stall_new.set if on else self._stall_new.clear)()

    def accepted(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            client.close()
            return
        frozen = threading.Event()
        if self._stall_new.is_set():
            frozen.set()
        with self._lock:
            self._pairs.append((client, upstream, frozen))
        threading.Thread(target=self._pump, args=(client, upstream, frozen), daemon=True).start()

    def _pump(self, a: socket.socket, b: socket.socket, frozen: threading.Event) -> None:
        peers = {a: b, b: a}
        try:
            while not self._stop.is_set():
                if frozen.is_set():
                    self._stop.wait(0.2)  # held open, silent, until close()
                    continue
                ready, _, _ = select.select(list(peers), [], [], 0.2)
                for s in ready:
                    if frozen.is_set():
                        break
                    data = s.recv(65536)
                    if not data:
                        return
                    peers[s].sendall(data)
        except OSError:
            return
        finally:
            if not frozen.is_set() or self._stop.is_set():
                a.close()
                b.close()

    def close(self) -> None:
        super().close()
        with self._lock:
            for a, b, _ in self._pairs:
                a.close()
                b.close()
