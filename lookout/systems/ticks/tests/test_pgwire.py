"""exporter/pgwire.py against a real PostgreSQL (and asyncpg as the reference reader of the same
bytes): every login a server may ask for, the errors it answers with, COPY's text, the limits,
a server that ends the connection, and TLS as sslmode says.

The server here has TLS on (a self-signed certificate for 127.0.0.1 made by openssl) and
pg_hba.conf lines that make it ask md5, cleartext or nothing of three users; `postgres` logs in
by SCRAM-SHA-256 (the devstack's default)."""
from __future__ import annotations

import asyncio
import os
import pwd
import ssl
import subprocess
import time

import pytest

from lookout.devstack.postgres import RUN_AS, PostgresServer
from lookout.systems.ticks.exporter import pgwire
from lookout.systems.ticks.exporter.dsn import Params

USERS = {  # user: (password, pg_hba method)
    "md5user": ("md5-pw-7", "md5"),
    "clearuser": ("clear-pw-7", "password"),
    "trustuser": ("", "trust"),
}


@pytest.fixture(scope="module")
def tls_pg():
    server = PostgresServer().init()
    data = server.data
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(data / "server.key"),
                    "-out", str(data / "server.crt")], check=True, capture_output=True)
    hba = data / "pg_hba.conf"
    lines = "".join(f"host all {user} 127.0.0.1/32 {method}\n" for user, (_, method) in USERS.items())
    # A user pg_hba.conf lets in only without TLS: libpq's `prefer` tries TLS, is rejected, logs in plain.
    lines += "hostnossl all nossluser 127.0.0.1/32 trust\nhostssl all nossluser 127.0.0.1/32 reject\n"
    hba.write_text(lines + hba.read_text())
    with open(data / "postgresql.conf", "a") as conf:
        conf.write("ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n")
    if os.geteuid() == 0:
        user = pwd.getpwnam(RUN_AS)
        for name in ("server.key", "server.crt"):
            os.chown(data / name, user.pw_uid, user.pw_gid)
    os.chmod(data / "server.key", 0o600)
    server.start()
    server.psql("SET password_encryption = 'md5'; CREATE ROLE md5user LOGIN PASSWORD 'md5-pw-7'; "
                "SET password_encryption = 'scram-sha-256'; CREATE ROLE clearuser LOGIN PASSWORD 'clear-pw-7'; "
                "CREATE ROLE trustuser LOGIN; CREATE ROLE nossluser LOGIN")
    yield server
    server.destroy()


def _until(seconds: float = 5.0) -> float:
    return time.monotonic() + seconds


def _connect(dsn: str, password: str = "") -> pgwire.Connection:
    return pgwire.connect(Params(dsn, password), _until())


@pytest.mark.parametrize("user", ["postgres", *USERS])
def test_each_login_the_server_asks_for(tls_pg, user):
    password = tls_pg.password if user == "postgres" else USERS[user][0]
    conn = _connect(f"postgresql://{user}@127.0.0.1:{tls_pg.port}/postgres?sslmode=disable", password)
    try:
        data, error = conn.copy_out("COPY (SELECT current_user) TO STDOUT", _until())
        assert (data, error) == (f"{user}\n".encode(), None)
    finally:
        conn.close()


def test_scram_hashes_are_hmac_and_hashlib_pbkdf2():
    """The client's own HMAC-SHA-256 and PBKDF2 (builtin hashes, no hmac or hashlib import)
    against the stdlib's, for keys shorter than, equal to and longer than SHA-256's block."""
    import hashlib
    import hmac
    for size in (0, 1, 32, 64, 65, 200):
        key, msg = os.urandom(size), os.urandom(77)
        assert pgwire._hmac(key, msg) == hmac.new(key, msg, "sha256").digest()
        salt = os.urandom(16)
        for rounds in (1, 2, 4096):
            assert pgwire._pbkdf2_sha256(key, salt, rounds) == hashlib.pbkdf2_hmac("sha256", key, salt, rounds)


def test_scram_computes_pbkdf2_once_per_password_and_salt(tls_pg, monkeypatch):
    """Start-up logs in twice at once (the ping's connection and the pool's): PBKDF2's 4,096
    rounds run once, the other login waits for them; a wrong password or a new salt (the
    password changed) is computed afresh and still judged by the server."""
    import threading
    tls_pg.psql("DROP ROLE IF EXISTS scramuser; SET password_encryption = 'scram-sha-256'; "
                "CREATE ROLE scramuser LOGIN PASSWORD 'scram-pw-1'")
    monkeypatch.setattr(pgwire, "_SALTED", {}, raising=False)  # a fresh cache
    computed = []
    real = pgwire._pbkdf2_sha256
    monkeypatch.setattr(pgwire, "_pbkdf2_sha256", lambda *a: computed.append(a[1:]) or real(*a))
    dsn = f"postgresql://scramuser@127.0.0.1:{tls_pg.port}/postgres?sslmode=disable"
    start, conns, errors = threading.Barrier(2), [], []

    def login():
        start.wait()
        try:
            conns.append(_connect(dsn, "scram-pw-1"))
        except Exception as exc:  # reported below
            errors.append(exc)
    threads = [threading.Thread(target=login) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(conns) == 2 and len(computed) == 1
    for conn in conns:
        assert conn.copy_out("COPY (SELECT current_user) TO STDOUT", _until()) == (b"scramuser\n", None)
        conn.close()
    with pytest.raises(pgwire.PgError) as err:
        _connect(dsn, "wrong-pw-2")
    assert err.value.sqlstate == "28P01" and len(computed) == 2
    tls_pg.psql("ALTER ROLE scramuser PASSWORD 'scram-pw-3'")  # a new salt
    _connect(dsn, "scram-pw-3").close()
    assert len(computed) == 3 and computed[2][0] != computed[0][0]


@pytest.mark.parametrize("user", ["postgres", "md5user", "clearuser"])
def test_a_wrong_password_is_28P01_and_never_echoed(tls_pg, user):
    with pytest.raises(pgwire.PgError) as err:
        _connect(f"postgresql://{user}:wrong-pw-9@127.0.0.1:{tls_pg.port}/postgres?sslmode=disable")
    assert err.value.sqlstate == "28P01"  # invalid_password, PostgreSQL's errcodes.txt
    assert str(err.value) == f'password authentication failed for user "{user}"'
    assert "wrong-pw-9" not in repr(err.value.fields)


def test_a_missing_database_is_3D000(tls_pg):
    with pytest.raises(pgwire.PgError) as err:
        _connect(tls_pg.dsn(database="nope") + "?sslmode=disable")
    assert err.value.sqlstate == "3D000"


# Text COPY must escape: tab, newline, backslash, NULL, non-ASCII; and several rows.
COPY_SQL = (r"SELECT g, E'a\tb\nc\\d', NULL::text, 'ünï €', 1.5::float8, now() - now() "
            r"FROM generate_series(1, 3) AS g")


def test_copy_bytes_and_errors_are_what_asyncpg_reads(tls_pg):
    async def reference():
        import asyncpg
        c = await asyncpg.connect(tls_pg.dsn(), ssl=False)
        out: list[bytes] = []

        async def sink(b):
            out.append(b)
        try:
            await c.copy_from_query(COPY_SQL, output=sink)
            try:
                await c.execute("SELECT 1/0")
            except asyncpg.PostgresError as exc:
                return b"".join(out), exc
        finally:
            await c.close()

    expected, ref_error = asyncio.run(reference())
    conn = _connect(tls_pg.dsn() + "?sslmode=disable")
    try:
        assert conn.copy_out(f"COPY ({COPY_SQL}) TO STDOUT", _until()) == (expected, None)
        _, error = conn.copy_out("SELECT 1/0", _until())
        assert (error.sqlstate, str(error)) == (ref_error.sqlstate, str(ref_error))  # 22012
        assert error.fields["S"] == "ERROR" and conn.status == b"I"
    finally:
        conn.close()


def test_statement_timeout_cancels_with_57014_and_the_connection_stays_usable(tls_pg):
    conn = _connect(tls_pg.dsn() + "?sslmode=disable")
    try:
        t0 = time.monotonic()
        data, error = conn.copy_out("BEGIN READ ONLY; SET LOCAL statement_timeout = 200; "
                                    "COPY (SELECT pg_sleep(5)) TO STDOUT; COMMIT", _until())
        assert time.monotonic() - t0 < 2
        assert error.sqlstate == "57014" and conn.status == b"E"  # COMMIT skipped: a failed transaction
        conn.execute("ROLLBACK", _until())
        assert conn.status == b"I"
        assert conn.copy_out("COPY (SELECT 7) TO STDOUT", _until()) == (b"7\n", None)
    finally:
        conn.close()


def test_no_answer_by_the_limit_is_a_timeout_at_the_limit(tls_pg):
    conn = _connect(tls_pg.dsn() + "?sslmode=disable")
    try:
        t0 = time.monotonic()
        with pytest.raises(TimeoutError):
            conn.copy_out("SELECT pg_sleep(3)", time.monotonic() + 0.3)
        assert 0.25 < time.monotonic() - t0 < 1.0
    finally:
        conn.abort()


def test_a_connection_the_server_ended_is_seen_as_dead(tls_pg):
    conn = _connect(tls_pg.dsn() + "?sslmode=disable&application_name=pgwire-ended")
    assert conn.idle_and_alive()
    tls_pg.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'pgwire-ended'")
    deadline = time.monotonic() + 3
    while conn.idle_and_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not conn.idle_and_alive()
    with pytest.raises((pgwire.ProtocolError, OSError, pgwire.PgError)):
        conn.execute("SELECT 1", _until())  # its FATAL (57P01), or the closed socket
    conn.abort()


def _uses_tls(server, conn) -> bool:
    data, _ = conn.copy_out("COPY (SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()) TO STDOUT", _until())
    return data == b"t\n"


@pytest.mark.parametrize("mode", ["prefer", "require", "verify-full"])
def test_tls_as_sslmode_asks(tls_pg, tmp_path, mode):
    extra = f"&sslrootcert={tls_pg.data / 'server.crt'}" if mode == "verify-full" else ""
    conn = _connect(f"{tls_pg.dsn()}?sslmode={mode}{extra}")
    try:
        assert isinstance(conn._sock, ssl.SSLSocket) and _uses_tls(tls_pg, conn)
    finally:
        conn.close()
    plain = _connect(f"{tls_pg.dsn()}?sslmode=disable")
    assert not _uses_tls(tls_pg, plain)
    plain.close()


def _other_ca(tmp_path) -> str:
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=other",
                    "-keyout", str(tmp_path / "other.key"), "-out", str(tmp_path / "other.crt")],
                   check=True, capture_output=True)
    return str(tmp_path / "other.crt")


def test_verify_ca_checks_the_chain_against_sslrootcert_not_the_name(tls_pg, tmp_path):
    with pytest.raises(ssl.SSLCertVerificationError):
        _connect(f"{tls_pg.dsn()}?sslmode=verify-ca&sslrootcert={_other_ca(tmp_path)}")
    # localhost is not the certificate's name (127.0.0.1): verify-ca does not check it.
    conn = _connect(f"{tls_pg.dsn().replace('127.0.0.1', 'localhost')}?sslmode=verify-ca"
                    f"&sslrootcert={tls_pg.data / 'server.crt'}")
    assert _uses_tls(tls_pg, conn)
    conn.close()


def test_verify_ca_without_a_root_certificate_is_refused_not_checked_against_the_system_cas(
        tls_pg, tmp_path, monkeypatch):
    # libpq (and asyncpg before pgwire) refuse verify-ca without sslrootcert or
    # ~/.postgresql/root.crt: the system's CAs sign certificates for anyone, and verify-ca does
    # not check the name, so any holder of a public certificate could stand in for the server.
    # SSL_CERT_FILE makes this server's certificate one of "the system's CAs" here.
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_pg.data / "server.crt"))
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.postgresql/root.crt
    with pytest.raises(pgwire.ProtocolError, match="verify-ca needs sslrootcert"):
        _connect(f"{tls_pg.dsn()}?sslmode=verify-ca")
    (tmp_path / ".postgresql").mkdir()
    (tmp_path / ".postgresql" / "root.crt").write_bytes((tls_pg.data / "server.crt").read_bytes())
    monkeypatch.delenv("SSL_CERT_FILE")
    conn = _connect(f"{tls_pg.dsn()}?sslmode=verify-ca")  # libpq's default root certificate file
    assert _uses_tls(tls_pg, conn)
    conn.close()
    # With that file, `require` verifies the chain too (libpq's rule, and asyncpg's): another CA's is refused.
    (tmp_path / ".postgresql" / "root.crt").write_bytes(open(_other_ca(tmp_path), "rb").read())
    with pytest.raises(ssl.SSLCertVerificationError):
        _connect(f"{tls_pg.dsn()}?sslmode=require")
    with pytest.raises(ssl.SSLCertVerificationError):
        _connect(f"{tls_pg.dsn()}?sslmode=verify-ca")


def test_prefer_logs_in_plain_when_the_server_rejects_the_tls_login(tls_pg):
    # libpq and asyncpg: under `prefer`, a login refused over TLS before AuthenticationOk is
    # tried again without TLS (pg_hba.conf's hostnossl lines).
    conn = _connect(f"postgresql://nossluser@127.0.0.1:{tls_pg.port}/postgres?sslmode=prefer")
    try:
        assert not _uses_tls(tls_pg, conn)
    finally:
        conn.close()
    with pytest.raises(pgwire.PgError) as err:  # require does not fall back
        _connect(f"postgresql://nossluser@127.0.0.1:{tls_pg.port}/postgres?sslmode=require")
    assert err.value.sqlstate == "28000"


def test_a_server_without_tls_is_refused_by_require_and_used_plain_by_prefer(pg):
    with pytest.raises(pgwire.ProtocolError, match="does not accept TLS"):
        _connect(pg.dsn() + "?sslmode=require")
    conn = _connect(pg.dsn())  # prefer, the default
    assert not isinstance(conn._sock, ssl.SSLSocket)
    assert conn.copy_out("COPY (SELECT 1) TO STDOUT", _until()) == (b"1\n", None)
    conn.close()


def test_an_idle_connection_on_a_descriptor_above_1023_is_seen_alive(tls_pg):
    # The exporter raises its open-files limit for floods of client connections (main.py);
    # select() refuses descriptors from FD_SETSIZE (1024) on, and a live pooled connection
    # there was taken for dead: closed and dialled again (a new login) on every scrape.
    filler = []
    try:
        while True:
            fd = os.open("/dev/null", os.O_RDONLY)
            filler.append(fd)
            if fd >= 1100:
                break
        conn = _connect(tls_pg.dsn() + "?sslmode=disable")
    finally:
        for fd in filler:
            os.close(fd)
    try:
        assert conn._sock.fileno() > 1024
        assert conn.copy_out("COPY (SELECT 1) TO STDOUT", _until()) == (b"1\n", None)
        assert conn.idle_and_alive()
    finally:
        conn.close()


@pytest.mark.parametrize("flood", ["one message of 1 GiB", "endless rows of 64 KiB"])
def test_an_answer_longer_than_the_cap_is_refused_while_reading(flood):
    # A fake server (nothing real sends this: a hostile peer or a wrong port): it logs the
    # client in, then answers the query with 1 GiB, announced in one message's length or sent
    # as rows. Reads are capped while reading (issue 12, case 8's kind): the client refuses
    # once past the cap, without waiting for the rest or holding it.
    import socket
    import threading

    listener = socket.create_server(("127.0.0.1", 0))

    def serve():
        peer, _ = listener.accept()
        with peer:
            peer.recv(8)  # SSLRequest
            peer.sendall(b"N")
            peer.recv(65536)  # StartupMessage
            peer.sendall(b"R\0\0\0\x08\0\0\0\0" + b"Z\0\0\0\x05I")  # AuthenticationOk, ReadyForQuery
            peer.recv(65536)  # the Query
            row = bytes(1 << 16)
            if flood.startswith("one"):
                peer.sendall(b"d" + (1 << 30).to_bytes(4, "big"))  # CopyData's length: 1 GiB
            else:
                row = b"d" + (len(row) + 4).to_bytes(4, "big") + row
            sent = 0
            try:
                while sent < 1 << 30:
                    peer.sendall(row)
                    sent += len(row)
            except OSError:
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    conn = _connect(f"postgresql://u@127.0.0.1:{listener.getsockname()[1]}/db?sslmode=prefer")
    t0 = time.monotonic()
    with pytest.raises(pgwire.ProtocolError, match="more than"):
        conn.copy_out("COPY (SELECT 1) TO STDOUT", _until(20))
    conn.abort()
    thread.join(10)
    listener.close()
    assert time.monotonic() - t0 < 2


@pytest.mark.parametrize("answer", [
    b"R\0\0\0\x06\0\0",  # an authentication request too short for its code
    b"R\0\0\0\x17\0\0\0\x0aSCRAM-SHA-256\0\0" + b"R\0\0\0\x0b\0\0\0\x0bx=1",  # SCRAM without r, s, i
], ids=["short authentication request", "SCRAM without its attributes"])
def test_a_malformed_login_exchange_is_a_protocol_error(answer):
    # A fake server (nothing real sends this): the client's errors are the ones Database
    # classifies (a failed connection, paced by the backoff), not struct.error or KeyError.
    import socket
    import threading

    listener = socket.create_server(("127.0.0.1", 0))

    def serve():
        peer, _ = listener.accept()
        with peer:
            peer.recv(8)
            peer.sendall(b"N")
            peer.recv(65536)
            peer.sendall(answer)
            peer.recv(65536)
            time.sleep(0.5)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    with pytest.raises(pgwire.ProtocolError):
        _connect(f"postgresql://u@127.0.0.1:{listener.getsockname()[1]}/db", "pw")
    thread.join(5)
    listener.close()


def test_a_failed_tls_handshake_closes_its_socket_at_once(tls_pg, tmp_path):
    # wrap_socket takes the descriptor from the plain socket, so closing that one closed
    # nothing: the TLS socket stayed open for as long as anything held the error (the runtime
    # keeps a collector's last failure).
    rootcert = _other_ca(tmp_path)
    before = len(os.listdir("/proc/self/fd"))
    with pytest.raises(ssl.SSLCertVerificationError) as err:
        _connect(f"{tls_pg.dsn()}?sslmode=verify-full&sslrootcert={rootcert}")
    assert len(os.listdir("/proc/self/fd")) == before, err.value


def test_scram_with_a_huge_iteration_count_stops_at_the_deadline(monkeypatch):
    """The server chooses SCRAM's iteration count (PostgreSQL 16's scram_iterations goes up to
    2**31 - 1); pure-Python PBKDF2 at 10**8 rounds is minutes of CPU, so the login must give
    up at its time limit with TimeoutError instead of running on past the scrape's deadline."""
    import threading
    monkeypatch.setattr(pgwire, "_SALTED", {}, raising=False)
    outcome = []

    def login():
        try:
            pgwire._salted_password(b"pw", b"salt", 10 ** 8, time.monotonic() + 0.2)
            outcome.append("computed")
        except TimeoutError:
            outcome.append("timeout")
    t = threading.Thread(target=login, daemon=True)
    started = time.monotonic()
    t.start()
    t.join(5)
    assert outcome == ["timeout"] and time.monotonic() - started < 2, outcome
    assert pgwire._SALTED == {}  # nothing half-computed is kept
