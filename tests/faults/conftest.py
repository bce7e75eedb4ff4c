"""Real servers and real exporter processes under faults (issue 12)."""
from __future__ import annotations

import contextlib
import os
import resource
import signal
from pathlib import Path

import pytest

from lookout.devstack.mariadb import MariaDB
from lookout.devstack.proc import ExporterProcess, write_yaml

PASSWORD = "s3cret-Faults-pw-4410"


@pytest.fixture(scope="module")
def mariadb(tmp_path_factory):
    """A MariaDB of this module's own: tests freeze it."""
    db = MariaDB(tmp_path_factory.mktemp("mariadb")).start()
    db.execute("CREATE DATABASE nectar", f"CREATE USER 'lookout'@'%' IDENTIFIED BY '{PASSWORD}'",
               "GRANT SELECT, PROCESS ON *.* TO 'lookout'@'%'")
    db.execute("CREATE TABLE blocks (slot_no BIGINT, block_no BIGINT, KEY (slot_no))",
               "INSERT INTO blocks VALUES (50000000, 6000000)", database="nectar")
    yield db
    with contextlib.suppress(ProcessLookupError):
        os.kill(db.proc.pid, signal.SIGCONT)
    db.stop()


@contextlib.contextmanager
def frozen(pid: int):
    """kill -STOP for the block; -CONT afterwards whatever happens."""
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


def nectar_config(path: Path, port: int, **sections) -> Path:
    base = {"database": {"host": "127.0.0.1", "port": port, "user": "lookout", "password": PASSWORD,
                         "database": "nectar", "reconnect_max_backoff_seconds": 1.0,
                         "connect_timeout_seconds": 2.0}}
    return write_yaml(path, base, **sections)


class LimitedExporter(ExporterProcess):
    """An exporter process started with a soft RLIMIT_NOFILE (systemd's default is 1024)."""

    def __init__(self, domain: str, config: Path, workdir: Path, nofile_soft: int):
        _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)

        def limit():
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile_soft, hard))
        super().__init__(domain, config, workdir, preexec_fn=limit)


def fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def threads(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))
