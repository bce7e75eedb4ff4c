from pathlib import Path

import pytest

from lookout.devstack.certs import make_ca, make_leaf
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


@pytest.fixture(scope="package")
def tls_db(tmp_path_factory):
    """A MariaDB requiring TLS of a CA of ours, for test_tls and test_ping_and_reasons (both only
    read it): one per package, not one per module that imports it."""
    base = tmp_path_factory.mktemp("tlsdb")
    ca = make_ca(base / "pki")
    other_ca = make_ca(base / "pki", "other-ca")
    crt, key = make_leaf(base / "pki", ca, "server", dns=["localhost"])  # no IP SAN on purpose
    db = MariaDB(base / "db", tls={"ca": ca[0], "cert": crt, "key": key}).start()
    db.execute("CREATE DATABASE nectar",
               f"CREATE USER 'lookout'@'%' IDENTIFIED BY '{PASSWORD}' REQUIRE SSL",
               "GRANT SELECT, PROCESS ON *.* TO 'lookout'@'%'")
    db.execute("CREATE TABLE blocks (slot_no BIGINT, block_no BIGINT, KEY (slot_no))",
               "INSERT INTO blocks VALUES (72316800, 8000000)", database="nectar")
    db.ca, db.other_ca = ca[0], other_ca[0]
    yield db
    db.stop()


def write_config(path, db, **sections) -> Path:
    """A Nectar config for `db`, with the password in the file (the tests look for leaks)."""
    base = {"database": {"host": "127.0.0.1", "port": db.port, "user": "lookout", "password": PASSWORD,
                         "database": "nectar", "reconnect_max_backoff_seconds": 1.0}}
    return write_yaml(path, base, **sections)


exporter = exporter_fixture("nectar")
