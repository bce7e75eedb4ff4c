"""TLS to the database, as TiDB Cloud Serverless requires: real certificates, real MariaDB."""
from lookout.devstack.proc import scrape

from .conftest import write_config


def _config(tmp_path, db, host, **database):
    path = write_config(tmp_path / "c.yml", db, database={"host": host, **database})
    return path


def test_verify_identity_with_right_ca_and_host(tls_db, exporter, tmp_path):
    proc = exporter(_config(tmp_path, tls_db, "localhost", ssl_mode="verify_identity", ssl_ca=str(tls_db.ca)))
    m = scrape(proc.url)
    assert m["nectar_up"] == 1
    assert m["nectar_chain_block"] == 8000000
    # The user is created REQUIRE SSL, so this success is itself proof of an encrypted session
    # (test_disabled_is_refused_by_a_server_requiring_tls shows the refusal otherwise).


def test_wrong_host_name_fails_clearly(tls_db, exporter, tmp_path):
    proc = exporter(_config(tmp_path, tls_db, "127.0.0.1", ssl_mode="verify_identity", ssl_ca=str(tls_db.ca)))
    m = scrape(proc.url)
    assert m["nectar_up"] == 0
    assert m.get("lookout_collector_errors_total", collector="chain", reason="tls") == 1
    logs = proc.logs()
    assert "certificate verify failed" in logs and "127.0.0.1" in logs
    assert "mismatch" in logs.lower() or "doesn't match" in logs.lower() or "not valid" in logs.lower()


def test_wrong_ca_fails_clearly(tls_db, exporter, tmp_path):
    proc = exporter(_config(tmp_path, tls_db, "localhost", ssl_mode="verify_ca", ssl_ca=str(tls_db.other_ca)))
    m = scrape(proc.url)
    assert m["nectar_up"] == 0
    assert m.get("lookout_collector_errors_total", collector="chain", reason="tls") == 1
    assert "certificate verify failed" in proc.logs()


def test_verify_without_ca_uses_the_system_bundle(tls_db, exporter, tmp_path):
    # Our test CA is not in the system bundle, so verification must fail: proof it happened.
    proc = exporter(_config(tmp_path, tls_db, "localhost", ssl_mode="verify_identity"))
    m = scrape(proc.url)
    assert m["nectar_up"] == 0
    assert "certificate verify failed" in proc.logs()


def test_required_encrypts_without_verifying(tls_db, exporter, tmp_path):
    proc = exporter(_config(tmp_path, tls_db, "127.0.0.1", ssl_mode="required"))
    assert scrape(proc.url)["nectar_up"] == 1


def test_disabled_is_refused_by_a_server_requiring_tls(tls_db, exporter, tmp_path):
    proc = exporter(_config(tmp_path, tls_db, "127.0.0.1", ssl_mode="disabled"))
    m = scrape(proc.url)
    assert m["nectar_up"] == 0
    assert m.get("lookout_collector_errors_total", collector="chain", reason="auth") == 1
