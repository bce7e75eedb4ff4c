"""web-config.yml in the environments exporters live in (issue 22): certificate and password
rotation without a restart, a bad edit that keeps the last good configuration, and a TLS policy
that is applied or refused, never accepted and ignored.

Real handshakes: Python's ssl client and `openssl s_client` against a real exporter process.
exporter-toolkit (the reference) re-reads web-config.yml on each new connection.
"""
from __future__ import annotations

import base64
import os
import shutil
import socket
import ssl
import subprocess
import sys

import bcrypt
import pytest
import yaml

from lookout.devstack.certs import make_ca, make_leaf
from lookout.devstack.proc import ROOT, ExporterProcess, Metrics, http_get, wait_until


def _config(tmp_path):
    path = tmp_path / "c.yml"
    path.write_text(yaml.safe_dump({"database": {"host": "127.0.0.1", "port": 1, "connect_timeout_seconds": 0.5}}))
    return path


def _write(path, doc) -> None:
    """Replace the file as an editor or cert-manager does: a new file renamed over the old."""
    tmp = path.with_suffix(".new")
    tmp.write_text(yaml.safe_dump(doc) if isinstance(doc, dict) else doc)
    os.replace(tmp, path)


def _basic(user, password):
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def _hash(password: str) -> str:
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()


def _served_cert(port: int, ca) -> bytes:
    ctx = ssl.create_default_context(cafile=str(ca[0]))
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            return tls.getpeercert(binary_form=True)


def _der(crt) -> bytes:
    return ssl.PEM_cert_to_DER_cert(crt.read_text())


@pytest.fixture
def pki(tmp_path):
    ca = make_ca(tmp_path / "pki")
    old = make_leaf(tmp_path / "pki", ca, "old", dns=["localhost"], ips=["127.0.0.1"])
    new = make_leaf(tmp_path / "pki", ca, "new", dns=["localhost"], ips=["127.0.0.1"])
    live = (tmp_path / "live.crt", tmp_path / "live.key")
    shutil.copy(old[0], live[0])
    shutil.copy(old[1], live[1])
    return ca, old, new, live


@pytest.fixture
def start(tmp_path):
    procs = []

    def run(web, tls=False, context=None):
        p = ExporterProcess("nectar", _config(tmp_path), tmp_path, extra_args=["--web.config.file", str(web)], tls=tls)
        procs.append(p)
        return p.wait_ready(context=context)
    yield run
    for p in procs:
        p.stop()


def test_a_renewed_certificate_is_served_without_a_restart(tmp_path, pki, start):
    ca, old, new, live = pki
    web = tmp_path / "web.yml"
    _write(web, {"tls_server_config": {"cert_file": str(live[0]), "key_file": str(live[1])}})
    p = start(web, tls=True, context=ssl.create_default_context(cafile=str(ca[0])))
    assert _served_cert(p.port, ca) == _der(old[0])
    for src, dst in ((new[1], live[1]), (new[0], live[0])):  # the key first, as cert-manager writes
        shutil.copy(src, dst.with_suffix(".tmp"))
        os.replace(dst.with_suffix(".tmp"), dst)
    assert _served_cert(p.port, ca) == _der(new[0])


def test_a_new_scrape_user_is_accepted_without_a_restart(tmp_path, start):
    web = tmp_path / "web.yml"
    _write(web, {"basic_auth_users": {"prometheus": _hash("first-pass")}})
    p = start(web)
    assert http_get(p.url + "/metrics", _basic("prometheus", "first-pass"))[0] == 200
    assert http_get(p.url + "/metrics", _basic("grafana-agent", "second-pass"))[0] == 401
    _write(web, {"basic_auth_users": {"prometheus": _hash("first-pass"), "grafana-agent": _hash("second-pass")}})
    assert http_get(p.url + "/metrics", _basic("grafana-agent", "second-pass"))[0] == 200


def test_an_invalid_new_config_keeps_the_old_one_and_says_so(tmp_path, start):
    web = tmp_path / "web.yml"
    _write(web, {"basic_auth_users": {"prometheus": _hash("first-pass")}})
    p = start(web)
    ok = _basic("prometheus", "first-pass")
    assert _scrape(p, ok).get("lookout_web_config_last_reload_successful") == 1
    _write(web, {"basic_auth_users": {"prometheus": "plain-text-not-a-hash"}})
    status, _, body = http_get(p.url + "/metrics", ok)
    assert status == 200  # the previous users still apply
    m = _scrape(p, ok)
    assert m.get("lookout_web_config_last_reload_successful") == 0
    logs = p.logs()
    assert "web config not reloaded" in logs and "web_config.basic_auth_users.prometheus" in logs
    assert "plain-text-not-a-hash" not in logs
    _write(web, {"basic_auth_users": {"prometheus": _hash("first-pass")}})  # mended: reloaded
    assert _scrape(p, ok).get("lookout_web_config_last_reload_successful") == 1


def _scrape(p, headers) -> Metrics:
    status, _, body = http_get(p.url + "/metrics", headers)
    assert status == 200
    return Metrics(body)


def _s_client(port: int, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-brief", *args],
                          input="", capture_output=True, text=True, timeout=20)


def test_a_cipher_outside_the_policy_is_refused(tmp_path, pki, start):
    ca, old, _, _ = pki
    web = tmp_path / "web.yml"
    _write(web, {"tls_server_config": {"cert_file": str(old[0]), "key_file": str(old[1]), "max_version": "TLS12",
                                       "cipher_suites": ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"]}})
    p = start(web, tls=True, context=ssl.create_default_context(cafile=str(ca[0])))
    allowed = _s_client(p.port, "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256")
    assert allowed.returncode == 0 and "ECDHE-RSA-AES128-GCM-SHA256" in allowed.stderr + allowed.stdout
    refused = _s_client(p.port, "-tls1_2", "-cipher", "ECDHE-RSA-AES256-GCM-SHA384")
    assert refused.returncode != 0, refused.stdout + refused.stderr
    assert _s_client(p.port, "-tls1_3").returncode != 0  # max_version TLS12 applied


def test_a_curve_outside_the_policy_is_refused(tmp_path, pki, start):
    ca, old, _, _ = pki
    web = tmp_path / "web.yml"
    _write(web, {"tls_server_config": {"cert_file": str(old[0]), "key_file": str(old[1]),
                                       "curve_preferences": ["CurveP384"]}})
    p = start(web, tls=True, context=ssl.create_default_context(cafile=str(ca[0])))
    assert _s_client(p.port, "-groups", "secp384r1").returncode == 0
    assert _s_client(p.port, "-groups", "X25519").returncode != 0


@pytest.mark.parametrize("tls,key", [
    ({"cipher_suites": ["TLS_AES_128_GCM_SHA256"]}, "cipher_suites"),        # TLS 1.3: Python cannot restrict
    ({"cipher_suites": ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA257"]}, "cipher_suites"),
    ({"curve_preferences": ["X25519", "CurveP256"]}, "curve_preferences"),   # Python's ssl sets one curve
    ({"curve_preferences": ["P256"]}, "curve_preferences"),
    ({"prefer_server_cipher_suites": "yes"}, "prefer_server_cipher_suites"),
    ({"min_version": "TLS13", "max_version": "TLS12"}, "max_version"),
])
def test_a_policy_python_cannot_apply_is_refused_naming_the_key(tmp_path, pki, tls, key):
    _, old, _, _ = pki
    web = tmp_path / "web.yml"
    _write(web, {"tls_server_config": {"cert_file": str(old[0]), "key_file": str(old[1]), **tls}})
    res = subprocess.run([sys.executable, "-m", "lookout.systems.nectar.exporter", "--check-config",
                          "--web.config.file", str(web)], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert res.returncode == 2 and f"web_config.tls_server_config.{key}" in res.stderr, res.stderr
    assert "Traceback" not in res.stderr


def test_go_cipher_names_are_openssls_standard_names():
    """The table's pairs are the ones `openssl ciphers -stdname` prints (IANA name - OpenSSL name)."""
    from lookout.exporters.runtime.webconfig import GO_CIPHERS
    out = subprocess.run(["openssl", "ciphers", "-stdname", "ALL:@SECLEVEL=0"], capture_output=True, text=True,
                         check=True).stdout
    pairs = {line.split()[0]: line.split()[2] for line in out.splitlines() if " - " in line}
    assert {name: pairs.get(name) for name in GO_CIPHERS} == GO_CIPHERS


def test_sighup_reloads(tmp_path, start):
    web = tmp_path / "web.yml"
    _write(web, {"basic_auth_users": {"prometheus": _hash("first-pass")}})
    p = start(web)
    # Same size, same inode, same mtime: only a SIGHUP can tell the exporter.
    st = web.stat()
    text = web.read_text().replace(yaml.safe_load(web.read_text())["basic_auth_users"]["prometheus"], _hash("other-pass"))
    web.write_text(text)
    os.utime(web, ns=(st.st_atime_ns, st.st_mtime_ns))
    import signal
    p.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: http_get(p.url + "/metrics", _basic("prometheus", "other-pass"))[0] == 200, timeout=10,
               what="the SIGHUP reload")


def test_tls_added_later_is_served_by_an_exporter_started_without_ssl(tmp_path, pki, start):
    """Nectar with its default database.ssl_mode (disabled) starts without `ssl` (PyMySQL is
    imported without it, test_footprint.py); a web-config that gains TLS afterwards is served
    over TLS: the runtime imports ssl then and asyncio's TLS works."""
    ca, old, _, _ = pki
    web = tmp_path / "web.yml"
    _write(web, {"basic_auth_users": {}})
    p = start(web)
    assert http_get(p.url + "/metrics")[0] == 200
    assert not _openssl_mapped(p.proc.pid)
    _write(web, {"tls_server_config": {"cert_file": str(old[0]), "key_file": str(old[1])}})
    assert _served_cert(p.port, ca) == _der(old[0])
    assert _openssl_mapped(p.proc.pid)
    status, _, body = http_get(p.url.replace("http://", "https://") + "/metrics",
                               context=ssl.create_default_context(cafile=str(ca[0])))
    assert status == 200 and "\nnectar_up 0" in body


def _openssl_mapped(pid: int) -> bool:
    with open(f"/proc/{pid}/maps") as f:
        return any("/libssl" in line or "/libcrypto" in line for line in f)
