"""A real PM2 (npm, pinned in tests/node) with its own PM2_HOME in a throwaway directory.

PM2 is found in $LOOKOUT_NODE_MODULES (a node_modules folder holding pm2) when set, else in
the checkout's tests/node/node_modules (./scripts/install-deps runs `npm ci` there). An
installed wheel has no checkout: set LOOKOUT_NODE_MODULES, e.g. after
`npm ci --prefix DIR` with tests/node's package.json and package-lock.json.

Everything it starts carries PM2_HOME=<that directory> in its environment, which is how
`kill_all()` finds the daemon and every app it forked, even after the daemon was
killed out from under them, without touching anyone else's processes.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import psutil

from .proc import ROOT, wait_until

NODE_MODULES_ENV = "LOOKOUT_NODE_MODULES"


def node_modules() -> Path:
    """Where PM2 is installed: $LOOKOUT_NODE_MODULES, else the checkout's tests/node/node_modules."""
    configured = os.environ.get(NODE_MODULES_ENV)
    return Path(configured) if configured else ROOT / "tests" / "node" / "node_modules"


PM2_BIN = node_modules() / ".bin" / "pm2"


class PM2:
    def __init__(self, home: Path, env: dict | None = None):
        self.home = Path(home)
        self.home.mkdir(parents=True, exist_ok=True)
        if not PM2_BIN.exists():
            raise RuntimeError(f"{PM2_BIN} missing: run ./scripts/install-deps (npm ci in tests/node) in a checkout, "
                               f"or point {NODE_MODULES_ENV} at a node_modules folder holding pm2")
        self.env = {
            **os.environ,
            "PM2_HOME": str(self.home),
            # No banner, no version check against the npm registry: the tests stay on loopback.
            "PM2_DISCRETE_MODE": "true",
            "PM2_DISABLE_VERSION_CHECK": "true",
            # The daemon's worker (max_memory_restart checks) runs every second, not every 30.
            "PM2_WORKER_INTERVAL": "1000",
            **(env or {}),
        }

    @property
    def rpc_socket(self) -> Path:
        return self.home / "rpc.sock"

    def run(self, *args: str, timeout: float = 60, env: dict | None = None) -> subprocess.CompletedProcess:
        res = subprocess.run([str(PM2_BIN), *args], env={**self.env, **(env or {})}, capture_output=True,
                             text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        if res.returncode != 0:
            raise RuntimeError(f"pm2 {' '.join(args)} exited {res.returncode}: {res.stdout}\n{res.stderr}")
        return res

    def start(self, script: Path, name: str, *flags: str, env: dict | None = None) -> None:
        """Starts the daemon too on first use, as `pm2 start` does."""
        self.run("start", str(script), "--name", name, *flags, env=env)

    def start_app(self, **app) -> None:
        """`pm2 start` of a JSON app declaration, for options the CLI has no flag for (min_uptime)."""
        path = self.home / f"{app['name']}.config.json"
        path.write_text(json.dumps({"apps": [app]}))
        self.run("start", str(path))

    def jlist(self) -> list[dict]:
        # `pm2 jlist` would quietly start a new daemon if ours were gone.
        assert self.daemon_alive(), "pm2 jlist with no daemon would start one"
        out = self.run("jlist").stdout
        return json.loads(out[out.index("["):])

    def by_name(self, procs: list[dict], name: str) -> dict:
        return next(p for p in procs if p["name"] == name)

    def daemon_pid(self) -> int | None:
        try:
            return int((self.home / "pm2.pid").read_text().strip())
        except (OSError, ValueError):
            return None

    def daemon_alive(self) -> bool:
        pid = self.daemon_pid()
        return pid is not None and psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE

    def daemons(self) -> list[psutil.Process]:
        """Every PM2 God daemon using this PM2_HOME, found in the process table."""
        return [p for p in self.processes() if "God Daemon" in " ".join(_cmdline(p))]

    def processes(self) -> list[psutil.Process]:
        mine = []
        for p in psutil.process_iter():
            try:
                if p.environ().get("PM2_HOME") == str(self.home):
                    mine.append(p)
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue
        return mine

    def signal_daemon(self, sig: int) -> int:
        pid = self.daemon_pid()
        assert pid, "no daemon pid file"
        os.kill(pid, sig)
        return pid

    def hard_kill_daemon(self) -> None:
        """SIGKILL the daemon alone: its socket file stays behind, its apps are orphaned."""
        self.signal_daemon(signal.SIGKILL)
        # Not the zombie state: the leader turns zombie while Node's other threads still
        # hold the listening socket. Dead means the socket refuses.
        wait_until(lambda: self.socket_refuses(), 10, what="the killed daemon's socket to refuse")

    def socket_refuses(self) -> bool:
        with socket.socket(socket.AF_UNIX) as s:
            try:
                s.connect(str(self.rpc_socket))
            except ConnectionRefusedError:
                return True
        return False

    def kill_all(self) -> None:
        """`pm2 kill` when the daemon lives, then SIGKILL whatever of this PM2_HOME is left."""
        if self.daemon_alive():
            try:
                self.run("kill", timeout=30)
            except (RuntimeError, subprocess.TimeoutExpired):
                pass
        for _ in range(50):
            left = self.processes()
            if not left:
                return
            for p in left:
                try:
                    p.kill()
                except psutil.NoSuchProcess:
                    pass
            time.sleep(0.1)
        raise RuntimeError(f"PM2 processes of {self.home} survived SIGKILL: {[p.pid for p in self.processes()]}")


def _cmdline(p: psutil.Process) -> list[str]:
    try:
        return p.cmdline()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return []


class GarblingSocket:
    """A FAKE PM2 RPC socket: it accepts, reads the request, and answers a well-framed
    message whose body is not JSON. It stands in for a PM2 release whose wire format
    changed, which no real PM2 here can produce."""

    REPLY = b"\x12" + (10).to_bytes(4, "big") + b"j:{garbled" + (3).to_bytes(4, "big") + b"s:x"

    def __init__(self, path: Path):
        import threading
        self.path = Path(path)
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.bind(str(self.path))
        self._sock.listen(16)
        self._sock.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> "GarblingSocket":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(5)
        self._sock.close()
        self.path.unlink(missing_ok=True)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            with conn:
                try:
                    conn.settimeout(2)
                    conn.recv(65536)
                    conn.sendall(self.REPLY)
                except OSError:
                    pass
