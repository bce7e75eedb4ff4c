"""The runtime's HTTP face on a real exporter process: TLS, basic auth, negotiation, shutdown.

The Nectar exporter is the vehicle; its database is deliberately absent (port 1), which
the runtime must take in its stride.
"""
import base64
import json
import signal
import ssl
import subprocess
import sys
import time
import urllib.error

import bcrypt
import pytest
import yaml

from lookout.devstack.certs import make_ca, make_leaf
from lookout.devstack.proc import ROOT, ExporterProcess, http_get, promtool_check_metrics, scrape


def _config(tmp_path):
    path = tmp_path / "c.yml"
    path.write_text(yaml.safe_dump({"database": {"host": "127.0.0.1", "port": 1, "connect_timeout_seconds": 0.5}}))
    return path


@pytest.fixture
def start(tmp_path):
    procs = []

    def run(**kw):
        p = ExporterProcess("nectar", _config(tmp_path), tmp_path, **kw)
        procs.append(p)
        return p
    yield run
    for p in procs:
        p.stop()


def test_landing_health_ready_and_negotiation(start):
    p = start().wait_ready()
    status, _, page = http_get(p.url + "/")
    assert status == 200 and "chain" in page and "processlist" in page and 'href="metrics"' in page
    assert http_get(p.url + "/-/healthy")[0] == 200
    assert http_get(p.url + "/-/ready")[0] == 200
    status, headers, body = http_get(p.url + "/metrics")
    assert headers["Content-Type"].startswith("text/plain; version=0.0.4")
    assert promtool_check_metrics(body) == ""
    status, headers, body = http_get(p.url + "/metrics", {"Accept": "application/openmetrics-text; version=1.0.0"})
    assert headers["Content-Type"].startswith("application/openmetrics-text")
    assert body.endswith("# EOF\n") and body.count("# EOF") == 1
    assert "nectar_scrape_cache_age_seconds" not in body  # only with a minimum interval (contract 1)


def test_tls_and_basic_auth(start, tmp_path):
    ca = make_ca(tmp_path / "pki")
    crt, key = make_leaf(tmp_path / "pki", ca, "exporter", dns=["localhost"], ips=["127.0.0.1"])
    hashed = bcrypt.hashpw(b"scrape-pass", bcrypt.gensalt(rounds=6)).decode()
    web = tmp_path / "web.yml"
    web.write_text(yaml.safe_dump({"tls_server_config": {"cert_file": str(crt), "key_file": str(key)},
                                   "basic_auth_users": {"prometheus": hashed}}))
    ctx = ssl.create_default_context(cafile=str(ca[0]))
    p = start(extra_args=["--web-config", str(web)], tls=True).wait_ready(context=ctx)

    def auth(user, pw):
        return {"Authorization": "Basic " + base64.b64encode(f"{user}:{pw}".encode()).decode()}

    assert http_get(p.url + "/metrics", context=ctx)[0] == 401
    assert http_get(p.url + "/metrics", auth("prometheus", "wrong"), context=ctx)[0] == 401
    assert http_get(p.url + "/metrics", auth("nobody", "scrape-pass"), context=ctx)[0] == 401
    status, _, body = http_get(p.url + "/metrics", auth("prometheus", "scrape-pass"), context=ctx)
    assert status == 200 and "nectar_up 0.0" in body
    assert http_get(p.url + "/", auth("prometheus", "scrape-pass"), context=ctx)[0] == 200
    with pytest.raises((urllib.error.URLError, ConnectionError)):  # plain HTTP is not served
        http_get(p.url.replace("https://", "http://") + "/metrics")
    with pytest.raises(urllib.error.URLError):  # and a client that does not trust the CA refuses
        http_get(p.url + "/metrics", context=ssl.create_default_context())


@pytest.mark.parametrize("web,key", [
    ({"tls_server_config": {"cert_file": "/nonexistent.crt", "key_file": "/nonexistent.key"}},
     "web_config.tls_server_config.cert_file"),
    ({"tls_server_config": {"cert_fil": "x"}}, "web_config.tls_server_config.cert_fil"),
    ({"basic_auth_users": {"prometheus": "plaintext"}}, "web_config.basic_auth_users.prometheus"),
    ({"basic_auth": {}}, "web_config.basic_auth"),
])
def test_bad_web_config_names_the_key(tmp_path, web, key):
    path = tmp_path / "web.yml"
    path.write_text(yaml.safe_dump(web))
    res = subprocess.run([sys.executable, "-m", "lookout.systems.nectar.exporter", "--check-config", "--web-config", str(path)],
                         cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 2 and key in res.stderr, res.stderr


def test_sigterm_shuts_down_gracefully(start):
    p = start().wait_ready()
    scrape(p.url, timeout_header=1)
    p.proc.send_signal(signal.SIGTERM)
    t = time.monotonic()
    assert p.proc.wait(5) == 0
    assert time.monotonic() - t < 3
    assert "shutting down" in p.logs()


def test_listen_address_in_use_exits_with_a_clear_error(start):
    first = start().wait_ready()
    address = f"127.0.0.1:{first.port}"
    second = subprocess.run([sys.executable, "-m", "lookout.systems.nectar.exporter", "--listen", address,
                             "--log.format", "json"], cwd=ROOT, capture_output=True, text=True, timeout=20)
    # The log record, not the words of a traceback (a NameError's traceback once printed the
    # source line holding "cannot serve" and passed the old assertion).
    records = [json.loads(line) for line in second.stderr.splitlines() if line.startswith("{")]
    errors = [r for r in records if r["level"] == "error"]
    assert [(r["msg"], r["address"]) for r in errors] == [("cannot serve", address)], second.stderr
    assert "in use" in errors[0]["err"]
    assert second.returncode == 1 and "Traceback" not in second.stderr


def test_malformed_http_from_anyone_is_a_400_not_an_error_log_with_its_bytes(start):
    # aiohttp logs a request it cannot parse at error level, with a traceback and the first
    # 100 bytes of the offending line: any client could flood the log and have an oversized
    # header (a credential, say) written to it. Go's net/http answers 400 and logs nothing.
    import socket
    p = start().wait_ready()
    marker = "Basic c2NyYXBlOnNlY3JldC1wYXNz"  # scrape:secret-pass, padded past aiohttp's 8190-byte line limit
    for request in (f"GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: {marker}{'A' * 9000}\r\n\r\n",
                    "GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n"):
        with socket.create_connection(("127.0.0.1", p.port), timeout=10) as s:
            s.sendall(request.encode())
            assert s.recv(64).split(b" ")[1] == b"400"
    assert http_get(p.url + "/-/healthy")[0] == 200  # still serving; and the log has flushed by now
    logs = p.logs()
    assert "level=error" not in logs and "Traceback" not in logs and marker not in logs, logs
