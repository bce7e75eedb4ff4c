from pathlib import Path

import pytest

from lookout.devstack.mariadb import MariaDB
from lookout.devstack.proc import exporter_fixture, write_yaml

PASSWORD = "s3cret-Nectar-pw-7781"


@pytest.fixture(scope="session")
def mariadb(tmp_path_factory):
    db = MariaDB(tmp_path_factory.mktemp("mariadb")).start()
    db.execute(
        "CREATE DATABASE nectar",
        f"CREATE USER 'lookout'@'%' IDENTIFIED BY '{PASSWORD}'",
        "GRANT SELECT, PROCESS ON *.* TO 'lookout'@'%'",
        # A process table and a slow table for deadline tests need nothing more.
    )
    db.execute(
        "CREATE TABLE blocks (id BIGINT AUTO_INCREMENT PRIMARY KEY, slot_no BIGINT NOT NULL, "
        "block_no BIGINT NOT NULL, hash VARBINARY(32), KEY idx_slot (slot_no))",
        database="nectar")
    yield db
    db.stop()


def write_config(path, db, **sections) -> Path:
    """A Nectar config for `db`, with the password in the file (the tests look for leaks)."""
    base = {"database": {"host": "127.0.0.1", "port": db.port, "user": "lookout", "password": PASSWORD,
                         "database": "nectar", "reconnect_max_backoff_seconds": 1.0}}
    return write_yaml(path, base, **sections)


exporter = exporter_fixture("nectar")
