import pytest

from harness.mariadb import MariaDB

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


def write_config(path, db, **sections) -> "Path":
    """A Nectar config for `db`, with the password in the file (the tests look for leaks)."""
    import yaml
    cfg = {"database": {"host": "127.0.0.1", "port": db.port, "user": "lookout", "password": PASSWORD,
                        "database": "nectar", "reconnect_max_backoff_seconds": 1.0}}
    for key, value in sections.items():
        if isinstance(value, dict) and isinstance(cfg.get(key), dict):
            cfg[key].update(value)
        else:
            cfg[key] = value
    path.write_text(yaml.safe_dump(cfg))
    return path


@pytest.fixture
def exporter(tmp_path):
    """Start `python -m exporters.nectar` with the given config; stopped at teardown."""
    from harness.proc import ExporterProcess
    started = []

    def start(config, **kw):
        proc = ExporterProcess("nectar", config, tmp_path, **kw)
        started.append(proc)
        return proc.wait_ready()
    yield start
    for proc in started:
        proc.stop()
