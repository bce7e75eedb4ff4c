"""A throwaway PgBouncer (Debian's `pgbouncer`) in front of a devstack PostgresServer.

Listens on a random loopback port; clients log in with the server's own user and password
(scram-sha-256, the password kept in its userlist as PgBouncer needs it to log in to the
server in turn). PgBouncer refuses to run as root, so as root it runs as the same
unprivileged user as the PostgreSQL cluster.
"""
from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from .postgres import RUN_AS, PostgresServer
from .proc import free_port, terminate, wait_until


class PgBouncer:
    def __init__(self, pg: PostgresServer, pool_mode: str = "transaction", pool_size: int = 2):
        if pool_mode not in ("session", "transaction", "statement"):
            raise ValueError(f"unknown pool_mode {pool_mode}")
        self.pg = pg
        self.pool_mode = pool_mode
        self.pool_size = pool_size
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="lk-pgb-"))
        self.proc: subprocess.Popen | None = None
        self._as_root = os.geteuid() == 0

    def start(self) -> "PgBouncer":
        binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
        if not os.path.exists(binary):
            raise RuntimeError("pgbouncer not installed (scripts/install-deps)")
        (self.dir / "userlist.txt").write_text(f'"postgres" "{self.pg.password}"\n')
        (self.dir / "pgbouncer.ini").write_text(
            "[databases]\n"
            f"* = host=127.0.0.1 port={self.pg.port}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {self.port}\nunix_socket_dir =\n"
            f"auth_type = scram-sha-256\nauth_file = {self.dir / 'userlist.txt'}\n"
            f"pool_mode = {self.pool_mode}\ndefault_pool_size = {self.pool_size}\n"
            "max_client_conn = 100\nserver_reset_query = DISCARD ALL\n"
            f"logfile = {self.dir / 'pgbouncer.log'}\n"
            "admin_users = postgres\n")
        cmd = [binary, str(self.dir / "pgbouncer.ini")]
        if self._as_root:
            user = pwd.getpwnam(RUN_AS)
            for path in (self.dir, *self.dir.iterdir()):
                os.chown(path, user.pw_uid, user.pw_gid)
            cmd = ["runuser", "-u", RUN_AS, "--", *cmd]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        wait_until(self._listening, timeout=15, what=f"pgbouncer on port {self.port}: {self.logs()}")
        return self

    def _listening(self) -> bool:
        if self.proc.poll() is not None:
            raise RuntimeError(f"pgbouncer exited: {self.proc.stderr.read().decode()} {self.logs()}")
        import socket
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", self.port)) == 0

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://postgres:{self.pg.password}@127.0.0.1:{self.port}/{database}"

    def logs(self) -> str:
        try:
            return (self.dir / "pgbouncer.log").read_text()[-3000:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGINT)  # SIGINT: PgBouncer's "safe shutdown"
                self.proc.wait(5)
            except (subprocess.TimeoutExpired, ProcessLookupError, PermissionError):
                terminate(self.proc)
        time.sleep(0)
        shutil.rmtree(self.dir, ignore_errors=True)
