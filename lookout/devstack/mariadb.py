"""A throwaway MariaDB server (standing in for TiDB) on a random loopback port."""
from __future__ import annotations

import atexit
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pymysql

from .proc import free_port, wait_until


_TEMPLATE: list[Path] = []   # this process's initialised data directory, made on first use


def _template() -> Path:
    """A fresh `mariadb-install-db` data directory (system tables, root without a password),
    made once per process and removed at its exit. A data directory holds no port, socket or
    path of its own (they are mariadbd's flags), so every server starts from a copy."""
    if not _TEMPLATE:
        base = Path(tempfile.mkdtemp(prefix="lk-mdb-tpl-"))
        atexit.register(shutil.rmtree, base, True)
        datadir = base / "data"
        cmd = [shutil.which("mariadb-install-db") or "mysql_install_db", "--no-defaults",
               f"--datadir={datadir}", "--auth-root-authentication-method=normal",
               "--skip-test-db", "--skip-name-resolve"]
        if os.geteuid() == 0:
            cmd.append("--user=root")
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode != 0:
            raise RuntimeError(f"mariadb-install-db failed: {res.stdout}\n{res.stderr}")
        _TEMPLATE.append(datadir)
    return _TEMPLATE[0]


class MariaDB:
    def __init__(self, base: Path, tls: dict | None = None):
        self.base = Path(base)
        self.datadir = self.base / "data"
        self.socket = str(self.base / "mysqld.sock")
        self.port = free_port()
        self.tls = tls  # {"ca": path, "cert": path, "key": path}
        self.proc: subprocess.Popen | None = None
        self.log_path = self.base / "mariadb.log"

    def install(self) -> None:
        """The data directory: a copy of this process's one `mariadb-install-db` result (the
        install took 4-5 s a server; the sparse copy well under one)."""
        self.base.mkdir(parents=True, exist_ok=True)
        if (self.datadir / "mysql").exists():
            return
        res = subprocess.run(["cp", "-a", "--sparse=always", str(_template()), str(self.datadir)],
                             capture_output=True, text=True)
        if res.returncode != 0:
            raise RuntimeError(f"copying the MariaDB data directory failed: {res.stderr}")

    def start(self) -> "MariaDB":
        self.install()
        cmd = [shutil.which("mariadbd") or "/usr/sbin/mariadbd", "--no-defaults",
               f"--datadir={self.datadir}", f"--socket={self.socket}", f"--port={self.port}",
               "--bind-address=127.0.0.1", f"--pid-file={self.base / 'mysqld.pid'}",
               "--skip-name-resolve", "--innodb-buffer-pool-size=128M", "--skip-log-bin",
               "--max-connections=200", f"--log-error={self.log_path}"]
        if self.tls:
            cmd += [f"--ssl-ca={self.tls['ca']}", f"--ssl-cert={self.tls['cert']}", f"--ssl-key={self.tls['key']}"]
        if os.geteuid() == 0:
            cmd.append("--user=root")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def up():
            if self.proc.poll() is not None:
                raise RuntimeError(f"mariadbd exited: {self.log_path.read_text() if self.log_path.exists() else ''}")
            self.root().close()
            return True
        wait_until(up, 60, 0.2, what="MariaDB to accept connections")
        return self

    def root(self, database: str | None = None) -> pymysql.connections.Connection:
        return pymysql.connect(unix_socket=self.socket, user="root", password="", database=database,
                               autocommit=True, connect_timeout=2)

    def execute(self, *statements: str, database: str | None = None) -> list:
        conn = self.root(database)
        try:
            with conn.cursor() as cur:
                result = []
                for sql in statements:
                    cur.execute(sql)
                    result = list(cur.fetchall())
                return result
        finally:
            conn.close()

    def questions(self) -> int:
        """The server's statement counter, read over one kept connection so that each
        reading adds exactly one statement (a fresh connection adds its set-up ones)."""
        return self.status("Questions")["Questions"]

    def status(self, *names: str) -> dict[str, int]:
        """Global status counters (Questions, Connections...) in one statement over the kept
        connection: each reading adds exactly one to Questions and none to Connections."""
        conn = getattr(self, "_stats_conn", None)
        if conn is None or not conn.open:
            conn = self._stats_conn = self.root()
        with conn.cursor() as cur:
            cur.execute("SHOW GLOBAL STATUS WHERE Variable_name IN (%s)" % ", ".join(["%s"] * len(names)), names)
            return {name: int(value) for name, value in cur.fetchall()}

    def kill(self) -> None:
        """Die like a crashed server: no shutdown, connections cut."""
        self._stats_conn = None
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        self._stats_conn = None
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()

    def restart(self) -> None:
        self.stop()
        time.sleep(0.2)
        self.start()
