"""Bad input: each gives a clear error in the log and on the landing page and a failed
collector, never a crash, and never the password. Bad configuration exits naming the key."""
from __future__ import annotations

import html
import subprocess
import sys

import pytest

from lookout.devstack.proc import ROOT, http_get, promtool_check_metrics, scrape, wait_until

DB = "crypto_data"


def _failed_collector(exp, collector: str, reason: str, needle: str) -> str:
    m = scrape(exp.url)
    assert m.get("lookout_collector_success", collector=collector) == 0
    assert m.get("lookout_collector_errors_total", collector=collector, reason=reason) >= 1
    page = html.unescape(http_get(exp.url + "/")[2])
    assert needle in page, page
    # logfmt quotes the message, escaping its own quotes
    wait_until(lambda: needle in exp.logs().replace('\\"', '"'), timeout=5, what="the error in the log")
    assert exp.proc.poll() is None
    assert promtool_check_metrics(m.text) == ""
    return m.text + page + exp.logs()


def test_wrong_password_is_an_auth_failure_that_never_shows_the_password(pg, table, exporter):
    t = table()
    wrong = "Wr0ng-Passw0rd-xyz"
    exp = exporter({"tables": [{"name": t}]}, env={"TICKS_DATABASE__DSN": pg.dsn(password=wrong, database=DB)})
    everything = _failed_collector(exp, f"table_{t}", "auth", "password authentication failed")
    assert scrape(exp.url).get("ticks_up") == 0
    assert wrong not in everything and pg.password not in everything


def test_nothing_listening_is_a_connection_failure(pg, table, exporter):
    from lookout.devstack.proc import free_port
    t = table()
    dsn = f"postgresql://postgres:{pg.password}@127.0.0.1:{free_port()}/{DB}"
    exp = exporter({"tables": [{"name": t}]}, env={"TICKS_DATABASE__DSN": dsn})
    everything = _failed_collector(exp, f"table_{t}", "connection", "cannot reach PostgreSQL at 127.0.0.1")
    assert pg.password not in everything


@pytest.mark.parametrize("problem", ["table", "column"])
def test_missing_table_or_column_names_it(pg, table, exporter, problem):
    t = table()
    spec = ({"name": "no_such_table"} if problem == "table"
            else {"name": t, "instrument_column": "no_such_column"})
    exp = exporter({"tables": [spec, {"name": t}] if problem == "table" else [spec]})
    needle = ('relation "no_such_table" does not exist' if problem == "table"
              else 'column "no_such_column" does not exist')
    _failed_collector(exp, f"table_{spec['name']}", "query", needle)
    m = scrape(exp.url)
    # ticks_up means the server answered (issue 12); a missing table fails only its own collector
    assert m.get("ticks_up") == 1
    assert m.get("lookout_collector_success", collector="ping") == 1
    if problem == "table":  # the good table next to it still reports
        assert m.get("lookout_collector_success", collector=f"table_{t}") == 1
        assert m.get("ticks_table_ticks_per_minute", table=t) == 0


def test_docker_socket_absent_fails_only_the_docker_collectors(pg, table, exporter, tmp_path):
    t = table()
    sock = tmp_path / "no-such" / "docker.sock"
    exp = exporter({"tables": [{"name": t}], "docker": {"host": f"unix://{sock}", "containers": ["eth-collector"]}})
    _failed_collector(exp, "containers", "connection", "No such file or directory")
    m = scrape(exp.url)
    assert m.get("lookout_collector_success", collector="logs") == 0
    assert m.get("ticks_up") == 1  # the database is what ticks_up is about
    assert m.get("lookout_collector_success", collector=f"table_{t}") == 1
    _, _, page = http_get(exp.url + "/")
    assert f"cannot reach the Docker daemon at unix://{sock}" in page


def test_disk_path_missing_fails_the_disk_collector(pg, table, exporter, tmp_path):
    t = table()
    exp = exporter({"tables": [{"name": t}], "disk": {"paths": [str(tmp_path / "gone")]}})
    _failed_collector(exp, "disk", "path", f"cannot stat {tmp_path / 'gone'}")


@pytest.mark.parametrize("yaml_text, key", [
    ("tables: [{name: 'quotes; DROP TABLE x'}]", "tables[0].name"),
    ("tables: [{name: q, time_column: 'ts--'}]", "tables[0].time_column"),
    ("tables: [{name: q, window_seconds: 0}]", "tables[0].window_seconds"),
    ("tables: [{name: q, fed_by: 'collector a'}]", "tables[0].fed_by"),
    ("docker: {host: 'unix:///x'}", "docker.containers"),
    ("docker: {host: 'ssh://nas', containers: [a]}", "docker.host"),  # unix:// or tcp:// only
    ("docker: {host: 'tcp://nas:port', containers: [a]}", "docker.host"),
    ("docker: {containers: [a], logs: {patterns: {Bad-Name: x}}}", "docker.logs.patterns.Bad-Name"),
    ("docker: {containers: [a], logs: {reported_ticks_pattern: 'Ticks: \\d+'}}", "docker.logs.reported_ticks_pattern"),
    ("database: {pool_size: 0}", "database.pool_size"),
    ("tabels: []", "tabels"),
])
def test_bad_config_exits_non_zero_naming_the_key(tmp_path, yaml_text, key):
    cfg = tmp_path / "bad.yml"
    cfg.write_text(yaml_text + "\n")
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "TICKS_DATABASE__DSN": "postgresql://u:S3cretPw@h/db"}
    res = subprocess.run([sys.executable, "-m", "lookout.systems.ticks.exporter", "--config", str(cfg), "--check-config"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=30)
    assert res.returncode == 2, res.stdout + res.stderr
    assert f"configuration error: {key}" in res.stderr
    assert "S3cretPw" not in res.stderr


def test_missing_or_foreign_dsn_is_a_config_error_that_hides_it(tmp_path):
    cfg = tmp_path / "c.yml"
    cfg.write_text("{}\n")
    base = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    for env, expected in (({}, "database.dsn: required"),
                          ({"TICKS_DATABASE__DSN": "mysql://u:S3cretPw@h/db"}, "database.dsn: must be a postgresql://")):
        res = subprocess.run([sys.executable, "-m", "lookout.systems.ticks.exporter", "--config", str(cfg), "--check-config"],
                             cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=30)
        assert res.returncode == 2 and expected in res.stderr, res.stderr
        assert "S3cretPw" not in res.stderr


def test_an_sslmode_the_client_does_not_know_is_a_config_error_that_hides_the_dsn(tmp_path):
    """libpq's six sslmode values are accepted (a typo would otherwise silently mean `prefer`)."""
    cfg = tmp_path / "c.yml"
    cfg.write_text("{}\n")
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT),
           "TICKS_DATABASE__DSN": "postgresql://u:S3cretPw@h/db?sslmode=requir"}
    res = subprocess.run([sys.executable, "-m", "lookout.systems.ticks.exporter", "--config", str(cfg), "--check-config"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=30)
    assert res.returncode == 2 and "database.dsn: sslmode must be one of disable, allow, prefer" in res.stderr, res.stderr
    assert "S3cretPw" not in res.stderr and "requir" not in res.stderr.replace("require", "")
