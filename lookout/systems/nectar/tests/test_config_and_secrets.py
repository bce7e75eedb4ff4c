"""Bad configuration is refused naming the key; the password never shows anywhere."""
import subprocess
import sys

import pytest
import yaml

from lookout.devstack.proc import ROOT, http_get, scrape

from .conftest import PASSWORD, write_config


def check_config(tmp_path, cfg: dict | None, env: dict | None = None):
    args = [sys.executable, "-m", "lookout.systems.nectar.exporter", "--check-config"]
    if cfg is not None:
        path = tmp_path / "bad.yml"
        path.write_text(yaml.safe_dump(cfg) if isinstance(cfg, dict) else cfg)
        args += ["--config", str(path)]
    import os
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})


@pytest.mark.parametrize("cfg,key", [
    ({"database": {"port": "four thousand"}}, "database.port"),
    ({"database": {"port": 70000}}, "database.port"),
    ({"database": {"prot": 4000}}, "database.prot"),
    ({"database": {"ssl_mode": "verify-full"}}, "database.ssl_mode"),
    ({"database": {"ssl_mode": "verify_ca", "ssl_ca": "/nonexistent/ca.pem"}}, "database.ssl_ca"),
    ({"database": {"ssl_cert": "/tmp/x.crt"}}, "database.ssl_key"),
    ({"database": {"password_file": "/nonexistent/pw"}}, "database.password_file"),
    ({"chain": {"table": "blocks; DROP TABLE blocks"}}, "chain.table"),
    ({"chain": {"network": "testnet"}}, "chain.network"),
    ({"process": {}}, "process"),
    ({"logfile": {"path": "/tmp/x.log", "patterns": {"reconnect": "(unclosed"}}}, "logfile.patterns.reconnect"),
    ({"scrape": {"min_interval_seconds": -1}}, "scrape.min_interval_seconds"),
    ({"log": {"level": "loud"}}, "log.level"),
    ({"surprise": 1}, "surprise"),
])
def test_bad_config_names_the_key(tmp_path, cfg, key):
    res = check_config(tmp_path, cfg)
    assert res.returncode != 0
    assert f"configuration error: {key}" in res.stderr, res.stderr


def test_bad_environment_override_names_the_variable_key(tmp_path):
    res = check_config(tmp_path, None, {"NECTAR_DATABASE__POOL_SIZE": "many"})
    assert res.returncode != 0 and "database.pool_size" in res.stderr and "environment" in res.stderr


def test_missing_secret_file_from_environment(tmp_path):
    res = check_config(tmp_path, None, {"NECTAR_DATABASE__PASSWORD_FILE": str(tmp_path / "absent")})
    assert res.returncode != 0 and "NECTAR_DATABASE__PASSWORD_FILE" in res.stderr


def test_not_yaml(tmp_path):
    res = check_config(tmp_path, "database: [unclosed\n")
    assert res.returncode != 0 and "not valid YAML" in res.stderr


def test_good_config_passes(tmp_path):
    res = check_config(tmp_path, {"database": {"host": "db", "port": 4000}, "chain": {"table": "block"}})
    assert res.returncode == 0, res.stderr


def test_password_from_file_and_environment(mariadb, exporter, tmp_path):
    pw = tmp_path / "pw"
    pw.write_text(PASSWORD + "\n")
    cfg = tmp_path / "c.yml"
    cfg.write_text(yaml.safe_dump({"database": {"host": "127.0.0.1", "port": mariadb.port, "user": "lookout",
                                                "password_file": str(pw)}}))
    assert scrape(exporter(cfg).url)["nectar_up"] == 1
    cfg.write_text(yaml.safe_dump({"database": {"host": "127.0.0.1", "port": mariadb.port, "user": "lookout"}}))
    proc = exporter(cfg, env={"NECTAR_DATABASE__PASSWORD": PASSWORD})
    assert scrape(proc.url)["nectar_up"] == 1


def test_password_never_leaks(mariadb, exporter, tmp_path):
    good = exporter(write_config(tmp_path / "good.yml", mariadb, log={"level": "debug"}))
    # Wrong port and a wrong user: errors get logged and shown on the landing page.
    bad = exporter(write_config(tmp_path / "bad.yml", mariadb, database={"port": 1}, log={"level": "debug"}))
    denied = exporter(write_config(tmp_path / "denied.yml", mariadb, database={"user": "nobody"},
                                   log={"format": "json"}))
    scrape(bad.url)
    assert "failed (connection)" in http_get(bad.url + "/")[2]  # the landing page says what failed
    for proc in (good, bad, denied):
        texts = [scrape(proc.url).text, scrape(proc.url, timeout_header=1).text,
                 http_get(proc.url + "/")[2], http_get(proc.url + "/metrics",
                                                      {"Accept": "application/openmetrics-text; version=1.0.0"})[2]]
        proc.stop()
        texts.append(proc.logs())
        for text in texts:
            assert PASSWORD not in text
    assert "database unreachable" in bad.logs()
    assert "Access denied" in denied.logs()
