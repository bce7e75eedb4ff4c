"""Nectar opens its database connections' sockets itself (db._open_socket: the host as
netutil.wire_host gives it, so socket loads no idna codec; issue 24) and hands them to PyMySQL.
What it does with them must be what PyMySQL's own connect() does: the same socket options, and
for each way a connection fails the same exception, code and message, so the same `reason`
and error text on /metrics and in the logs. PyMySQL itself (pymysql.connect on the same
address) is the reference. That socket loads no idna codec is tests/runtime/test_footprint.py's."""
from __future__ import annotations

import json
import socket

import pymysql
import pytest

from lookout.devstack.proc import bare_python, free_port
from lookout.devstack.silent_peer import SilentPeer
from lookout.exporters.runtime import CollectError, Deadline, Secret
from lookout.systems.nectar.exporter import db as dbmod
from lookout.systems.nectar.exporter.config import DatabaseConfig
from lookout.systems.nectar.exporter.db import Database

from .conftest import PASSWORD


def settings(port: int, timeout: float = 5.0) -> dict:
    return {"host": "127.0.0.1", "port": port, "user": "lookout", "password": PASSWORD, "database": "nectar",
            "connect_timeout_seconds": timeout}


def pymysqls_error(port: int, timeout: float = 5.0) -> pymysql.err.MySQLError:
    """What PyMySQL's own connect() raises for this address."""
    s = settings(port, timeout)
    with pytest.raises(pymysql.err.MySQLError) as caught:
        pymysql.connect(host=s["host"], port=port, user=s["user"], password=PASSWORD, database=s["database"],
                        charset="utf8mb4", connect_timeout=timeout, read_timeout=timeout, write_timeout=timeout,
                        autocommit=True, ssl_disabled=True)
    return caught.value


def ours(port: int, timeout: float = 5.0) -> CollectError:
    s = settings(port, timeout)
    db = Database(DatabaseConfig(**{**s, "password": Secret(PASSWORD)}))
    try:
        with pytest.raises(CollectError) as caught:
            db.ping(Deadline(10))
        return caught.value
    finally:
        db.close()


def expected(exc: pymysql.err.MySQLError, port: int) -> tuple[str, str]:
    """(reason, message) the exporter gives for PyMySQL's exception (db._connect's wording)."""
    return dbmod._reason(exc), f"cannot connect to 127.0.0.1:{port}: {dbmod._message(exc)}"


def test_a_refused_connection_fails_as_pymysqls_own_connect_does():
    port = free_port()  # nothing listens there
    exc = pymysqls_error(port)
    assert exc.args[0] == 2003 and "Connection refused" in exc.args[1]  # the case this test is about
    got = ours(port)
    assert (got.reason, str(got)) == expected(exc, port)
    assert got.reason == "connection"


def test_a_connect_that_times_out_fails_as_pymysqls_own_connect_does():
    # A listener whose backlog is full: Linux drops further SYNs, so connect() waits out its timeout.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    filler = socket.create_connection(("127.0.0.1", port), timeout=1)
    try:
        exc = pymysqls_error(port, timeout=0.3)
        assert exc.args[0] == 2003 and "timed out" in exc.args[1], exc.args
        got = ours(port, timeout=0.3)
        assert (got.reason, str(got)) == expected(exc, port)
        assert got.reason == "timeout"
    finally:
        filler.close()
        listener.close()


def test_a_server_that_never_greets_times_out_as_with_pymysqls_own_connect():
    peer = SilentPeer()
    try:
        exc = pymysqls_error(peer.port, timeout=0.3)
        got = ours(peer.port, timeout=0.3)
        assert (got.reason, str(got)) == expected(exc, peer.port)
        assert got.reason == "timeout"
    finally:
        peer.close()


def test_the_socket_has_the_options_pymysql_sets_and_the_connection_works(mariadb):
    db = Database(DatabaseConfig(**{**settings(mariadb.port), "password": Secret(PASSWORD)}))
    reference = pymysql.connect(host="127.0.0.1", port=mariadb.port, user="lookout", password=PASSWORD,
                                database="nectar", ssl_disabled=True)
    try:
        conn = db._connect(Deadline(10))
        try:
            for level, option in ((socket.IPPROTO_TCP, socket.TCP_NODELAY), (socket.SOL_SOCKET, socket.SO_KEEPALIVE)):
                assert conn._sock.getsockopt(level, option) == reference._sock.getsockopt(level, option) != 0
            assert conn.get_host_info() == reference.get_host_info()
            assert conn.get_server_info() == reference.get_server_info()
            with conn.cursor() as cur:
                cur.execute("SELECT CURRENT_USER()")
                assert cur.fetchone()[0].startswith("lookout@")
        finally:
            conn.close()
    finally:
        reference.close()
        db.close()


# Run as an installed exporter runs it (`python -S`, the dependencies' site-packages put on
# sys.path by hand: tests/runtime/test_footprint.py's reason), where nothing imported traceback
# before PyMySQL; pytest itself has. A TLS handshake that fails is the OSError on which PyMySQL's
# connect() calls traceback.format_exc() (ssl.SSLError is one).
FIRST_USE = r"""
import json, sys
sys.path.append(sys.argv.pop())
port, ca = int(sys.argv[1]), sys.argv[2]
from lookout.exporters.runtime import lazyssl
with lazyssl.only_if(True):  # as main.py imports the driver for a configuration with TLS
    from lookout.systems.nectar.exporter import db
import pymysql
loaded_with_pymysql = "traceback" in sys.modules
try:
    pymysql.connect(host="127.0.0.1", port=port, user="lookout", password="x", ssl={"ca": ca}, connect_timeout=5)
except pymysql.err.OperationalError as exc:
    error, tb = exc.args, exc.traceback
import traceback
print(json.dumps({"loaded_with_pymysql": loaded_with_pymysql, "error": error, "tb": tb,
                  "forwards": pymysql.connections.traceback.format_exc is traceback.format_exc,
                  "real": traceback.__file__.endswith("traceback.py")}))
"""


def installed_like(script: str, *args: str) -> dict:
    return json.loads(bare_python(script, *args))


def test_pymysql_gets_traceback_on_its_first_use(tls_db):
    """PyMySQL imports traceback for one call, format_exc() when a connection fails with an
    OSError; db.py gives it a stand-in (db._StandIn) that imports the real module then."""
    got = installed_like(FIRST_USE, str(tls_db.port), str(tls_db.other_ca))
    assert got["loaded_with_pymysql"] is False
    assert got["error"][0] == 2003 and "CERTIFICATE_VERIFY_FAILED" in got["error"][1]
    assert got["tb"].startswith("Traceback (most recent call last):\n")
    assert "ssl.SSLCertVerificationError" in got["tb"]
    assert got["forwards"] is True and got["real"] is True


OPTION_FILE = r"""
import json, sys
sys.path.append(sys.argv.pop())
port, cnf = int(sys.argv[1]), sys.argv[2]
from lookout.exporters.runtime import lazyssl
with lazyssl.only_if(False):
    from lookout.systems.nectar.exporter import db
import pymysql
loaded_with_pymysql = "configparser" in sys.modules
conn = pymysql.connect(host="127.0.0.1", port=port, read_default_file=cnf)  # user, password, database from the file
with conn.cursor() as cur:
    cur.execute("SELECT CURRENT_USER(), DATABASE()")
    user, database = cur.fetchone()
conn.close()
import pymysql.optionfile
print(json.dumps({"loaded_with_pymysql": loaded_with_pymysql, "user": user, "database": database,
                  "real": type(pymysql.connections.Parser()) is pymysql.optionfile.Parser,
                  "configparser": "configparser" in sys.modules}))
"""


def test_an_option_file_is_read_with_pymysqls_own_parser(mariadb, tmp_path):
    """PyMySQL imports its my.cnf parser (configparser) for `read_default_file`, which Nectar
    never passes; db.py gives it a stand-in whose `Parser()` is the real one. A connection that
    takes its login from a file still logs in with it."""
    cnf = tmp_path / "my.cnf"
    cnf.write_text(f"[client]\nuser = lookout\npassword = \"{PASSWORD}\"\ndatabase = nectar\n")
    got = installed_like(OPTION_FILE, str(mariadb.port), str(cnf))
    assert got["loaded_with_pymysql"] is False
    assert (got["user"], got["database"]) == ("lookout@%", "nectar")
    assert got["real"] is True and got["configparser"] is True
