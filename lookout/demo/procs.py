"""Child processes of the native demo that no test harness already starts: Prometheus,
Alertmanager, the webhook receiver. Each runs in its own session (a Ctrl-C in the terminal
reaches the orchestrator, which stops them in order) with its output in a log file."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
from pathlib import Path

from lookout.devstack.proc import free_port, http_get, wait_until


def pick_port(preferred: int, random_ports: bool) -> int:
    """`preferred` when it is free (stable URLs for people), else any free port."""
    if random_ports or not preferred:
        return free_port()
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", preferred))
        except OSError:
            return free_port()
    return preferred


class ManagedProcess:
    def __init__(self, name: str, args: list[str], log_path: Path, cwd: Path, env: dict | None = None):
        self.name = name
        self.log_path = log_path
        self._log = open(log_path, "w")
        self.proc = subprocess.Popen(args, cwd=cwd, env={**os.environ, **(env or {})}, stdout=self._log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)

    def wait_http(self, url: str, timeout: float = 60.0, ok=(200,)) -> None:
        def ready():
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}: {self.tail()}")
            return http_get(url, timeout=2)[0] in ok
        wait_until(ready, timeout, 0.2, what=f"{self.name} at {url}")

    def tail(self, chars: int = 2000) -> str:
        self._log.flush()
        try:
            return self.log_path.read_text()[-chars:]
        except OSError:
            return ""

    def stop(self, timeout: float = 15.0) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._log.close()
