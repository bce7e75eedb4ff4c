"""A throwaway PostgreSQL cluster: initdb + pg_ctl in a temp dir, on a random loopback port.

PostgreSQL refuses to run as root, so as root the cluster belongs to the unprivileged
`lookout-test` user (created by scripts/install-deps) and the server runs as that user.
TCP logins need a password (scram), so tests exercise real authentication; the harness
itself talks over the Unix socket as the superuser.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from .proc import free_port

RUN_AS = "lookout-test"


def _bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if not found:
        raise RuntimeError("PostgreSQL server binaries not found under /usr/lib/postgresql (scripts/install-deps)")
    return Path(found[-1]).parent


class PostgresServer:
    def __init__(self, password: str = "tick-secret-pw"):
        self.bindir = _bindir()
        self.port = free_port()
        self.password = password
        # Not under pytest's tmp_path: its parents are root-only, and the server user must reach this.
        self.dir = Path(tempfile.mkdtemp(prefix="lk-pg-"))
        self.data = self.dir / "data"
        self.socket_dir = self.dir / "sock"
        self.log = self.dir / "postgres.log"
        self._as_root = os.geteuid() == 0
        if self._as_root:
            user = pwd.getpwnam(RUN_AS)
            os.chown(self.dir, user.pw_uid, user.pw_gid)
        self.socket_dir.mkdir()
        if self._as_root:
            os.chown(self.socket_dir, user.pw_uid, user.pw_gid)

    def _run(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self._as_root:
            cmd = ["runuser", "-u", RUN_AS, "--", *cmd]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if check and res.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({res.returncode}): {res.stdout}{res.stderr}{self.logs()}")
        return res

    def init(self) -> "PostgresServer":
        pwfile = self.dir / "pw"
        pwfile.write_text(self.password + "\n")
        if self._as_root:
            user = pwd.getpwnam(RUN_AS)
            os.chown(pwfile, user.pw_uid, user.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--pwfile", str(pwfile),
                  "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8",
                  "--no-sync")
        pwfile.unlink()
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                       f"unix_socket_directories = '{self.socket_dir}'\n"
                       # Throwaway data: durability only costs time here.
                       "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                       "shared_buffers = 128MB\nmax_connections = 50\ntimezone = 'UTC'\n")
        return self

    def start(self) -> "PostgresServer":
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start")
        return self

    def stop(self, mode: str = "fast") -> None:
        """mode "immediate" is a crash as far as clients are concerned: no goodbye, no checkpoint."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def running(self) -> bool:
        return self._run("pg_ctl", "-D", str(self.data), "status", check=False).returncode == 0

    def dsn(self, user: str = "postgres", password: str | None = None, database: str = "postgres") -> str:
        pw = self.password if password is None else password
        return f"postgresql://{user}:{pw}@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Runs SQL over the Unix socket as the superuser; returns unaligned tuples-only output."""
        res = subprocess.run([str(self.bindir / "psql"), "-h", str(self.socket_dir), "-p", str(self.port),
                              "-U", "postgres", "-d", database, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                              "-c", sql], capture_output=True, text=True, timeout=600)
        if res.returncode != 0:
            raise RuntimeError(f"psql failed: {res.stderr}")
        return res.stdout.strip()

    def logs(self) -> str:
        try:
            return self.log.read_text()[-3000:]
        except OSError:
            return ""

    def destroy(self) -> None:
        if self.data.exists() and self.running():
            self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)
