"""lazyssl.only_if: a driver imported without `ssl` and OpenSSL's hashes when the configuration
makes no TLS connection, and TLS still whole for whatever imports `ssl` afterwards.

Each case runs in a fresh interpreter (`python -S`, the dependencies' site-packages appended),
as an exporter does (the runtime imports no asyncio, so nothing imports `ssl` before the driver). The facts checked are
PyMySQL 1.2.4's (connections.py: `SSL_ENABLED = False` when `import ssl` fails) and CPython
3.11's (hashlib serves sha1/sha256 from _sha1/_sha256 without _hashlib; hmac likewise).
"""
from __future__ import annotations

import json

from lookout.devstack.certs import make_ca, make_leaf
from lookout.devstack.proc import bare_python

PRELUDE = r"""
import sys
sys.path.append(sys.argv.pop())
import json
from lookout.exporters.runtime import lazyssl
def openssl_mapped():
    with open("/proc/self/maps") as f:
        return sorted({l.split()[-1] for l in f if "/libcrypto" in l or "/libssl" in l})
"""

WITHOUT_TLS = PRELUDE + r"""
with lazyssl.only_if(False):
    import pymysql
import pymysql._auth as auth
after_import = {"ssl": "ssl" in sys.modules, "_hashlib": "_hashlib" in sys.modules, "mapped": openssl_mapped(),
                "ssl_enabled": pymysql.connections.SSL_ENABLED,
                "sha1": auth.hashlib.sha1(b"x").hexdigest(), "sha1_from": type(auth.hashlib.sha1()).__module__}
# Later, as a web-config with TLS does: the whole hashlib and ssl, and a real handshake works.
import hashlib, socket, ssl, threading
ca, crt, key = sys.argv[1:4]
server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
server_ctx.load_cert_chain(crt, key)
listener = socket.create_server(("127.0.0.1", 0))
def echo():
    conn, _ = listener.accept()
    with server_ctx.wrap_socket(conn, server_side=True) as tls:
        tls.sendall(tls.recv(100))
threading.Thread(target=echo, daemon=True).start()
raw = socket.create_connection(listener.getsockname(), timeout=10)
with ssl.create_default_context(cafile=ca).wrap_socket(raw, server_hostname="localhost") as tls:
    tls.sendall(b"over tls\n")
    line, version = tls.recv(100), tls.version()
print(json.dumps({**after_import, "later_hashlib_openssl": "_hashlib" in sys.modules and hashlib is not auth.hashlib,
                  "pbkdf2_from": hashlib.pbkdf2_hmac.__module__, "echo": line.decode(), "tls": version}))
"""

WITH_TLS = PRELUDE + r"""
with lazyssl.only_if(True):
    import pymysql
print(json.dumps({"ssl": "ssl" in sys.modules, "ssl_enabled": pymysql.connections.SSL_ENABLED,
                  "mapped": openssl_mapped()}))
"""


def _run(code: str, *args: str) -> dict:
    return json.loads(bare_python(code, *args))


def test_without_tls_the_driver_falls_back_and_tls_later_is_whole(tmp_path):
    ca = make_ca(tmp_path / "pki")
    crt, key = make_leaf(tmp_path / "pki", ca, "server", dns=["localhost"], ips=["127.0.0.1"])
    got = _run(WITHOUT_TLS, str(ca[0]), str(crt), str(key))
    assert got["ssl"] is False and got["_hashlib"] is False and got["mapped"] == []
    assert got["ssl_enabled"] is False
    assert got["sha1"] == "11f6ad8ec52a2984abaafd7c3b516503785c2072"  # sha1(b"x"), from the builtin _sha1
    assert got["sha1_from"] == "_sha1"
    assert got["later_hashlib_openssl"] is True and got["pbkdf2_from"] == "_hashlib"
    assert got["echo"] == "over tls\n" and got["tls"].startswith("TLSv1.")


def test_with_tls_the_driver_is_imported_whole():
    got = _run(WITH_TLS)
    assert got["ssl"] is True and got["ssl_enabled"] is True and got["mapped"]


WITHOUT_BUILTIN_HASHES = r"""
import sys
# A Python built with --with-builtin-hashlib-hashes=blake2 (FIPS builds): no builtin sha1/sha256.
sys.modules["_sha1"] = sys.modules["_sha256"] = None
""" + PRELUDE + r"""
import logging
errors = []
logging.getLogger().addHandler(type("H", (logging.Handler,), {"emit": lambda self, r: errors.append(r.getMessage())})())
with lazyssl.only_if(False):
    import pymysql
import pymysql._auth as auth
print(json.dumps({"ssl": "ssl" in sys.modules, "ssl_enabled": pymysql.connections.SSL_ENABLED,
                  "sha1": auth.hashlib.sha1(b"x").hexdigest(), "errors": errors}))
"""


def test_without_builtin_hashes_openssls_are_kept():
    got = _run(WITHOUT_BUILTIN_HASHES)
    assert got["ssl"] is False and got["ssl_enabled"] is False
    assert got["errors"] == []
    assert got["sha1"] == "11f6ad8ec52a2984abaafd7c3b516503785c2072"  # sha1(b"x"), OpenSSL's
