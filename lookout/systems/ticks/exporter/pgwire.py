"""A blocking PostgreSQL client with just what the tick exporter sends (issue 24).

Protocol 3.0 (https://www.postgresql.org/docs/current/protocol.html): start-up, the logins a
server asks for (trust, cleartext, md5, SCRAM-SHA-256 without channel binding), the simple
Query protocol and COPY OUT. No extended protocol (so nothing is ever prepared: a pooler in
transaction mode is safe), no type conversion (rows come back as COPY's text), no asyncio.

Why not a library: asyncpg needs asyncio and imports `ssl` at its import; pg8000 and psycopg
cost more resident memory than the issue's 20 MB leaves (docs/exporters/ticks.md, "Footprint").
`ssl` is imported only when a connection negotiates TLS (`sslmode`, default `prefer`: asked
for, used if the server offers it). The hashes (md5, SHA-256 and its HMAC) are the builtin ones
hashlib falls back to without OpenSSL, imported alone: hashlib would load all six builtin hash
modules, and `secrets` brings `random` (issue 24: about 5 ms of the exporter's start-up).

Every socket operation is bounded by an absolute `time.monotonic()` limit given by the caller;
past it, TimeoutError, and the connection is unusable (close it).
"""
from __future__ import annotations

import binascii
import os
import select
import socket
import struct
import threading
import time
from _operator import _compare_digest as compare_digest  # hmac.compare_digest without OpenSSL

from lookout.netutil import tcp_connect

from .dsn import Params

try:
    from _md5 import md5
except ImportError:  # a build without builtin hashes has only OpenSSL's
    from hashlib import md5
try:
    from _sha256 import sha256
except ImportError:
    try:
        from _sha2 import sha256  # Python 3.12 renamed the module
    except ImportError:
        from hashlib import sha256

_SSL_REQUEST = struct.pack("!ii", 8, 80877103)
_MAX_MESSAGE = 16 << 20  # bytes of one message from the server (its length field says), and of a COPY


class PgError(Exception):
    """An ErrorResponse: `fields` by their one-letter code (S severity, C SQLSTATE, M message,
    D detail ...); str() is the primary message, as asyncpg's is."""

    def __init__(self, fields: dict[str, str]):
        super().__init__(fields.get("M", "error"))
        self.fields = fields
        self.sqlstate = fields.get("C", "")


class ProtocolError(Exception):
    """The server said something this client does not speak (or closed the connection)."""


class Connection:
    """One server connection. Not thread-safe: one caller at a time (the pool's job)."""

    def __init__(self, sock: socket.socket):
        self._sock = sock
        self._buf = bytearray()
        self.status = b"I"  # ReadyForQuery's: I idle, T in a transaction, E in a failed one
        self.server: dict[str, str] = {}  # ParameterStatus
        self.used = time.monotonic()  # the end of its last query
        self.generation = 0  # its pool's mark (database.py)
        self.authenticated = False  # AuthenticationOk received

    # -- what the exporter calls

    def copy_out(self, sql: str, until: float) -> tuple[bytes, PgError | None]:
        """Runs `sql` (one or more statements, simple Query protocol) and returns what its COPY
        ... TO STDOUT statements copied, concatenated, and the first error the server answered
        with (the server skips the rest of the string after it), or None. Rows of plain SELECTs
        are dropped. Raises TimeoutError, OSError or ProtocolError (the connection is then
        unusable)."""
        self._send(b"Q", sql.encode() + b"\0", until)
        copied: list[bytes] = []
        size = 0
        error = None
        while True:
            kind, body = self._read(until)
            if kind == b"d":
                copied.append(body)
                size += len(body)
                if size > _MAX_MESSAGE:  # capped while reading, as one message is
                    raise ProtocolError(f"COPY sent more than {_MAX_MESSAGE} bytes")
            elif kind == b"E":
                error = error or PgError(_fields(body))
            elif kind == b"Z":
                self.status = body[:1]
                self.used = time.monotonic()
                return b"".join(copied), error
            elif kind in b"HcCTDInNSA":  # copy begins/ends, command tags, rows, notices, settings, NOTIFY
                if kind == b"S":
                    self._parameter(body)
            else:
                raise ProtocolError(f"unexpected message {kind!r} after a query")

    def execute(self, sql: str, until: float) -> None:
        """`sql` by the simple Query protocol; raises PgError if the server refused it."""
        _, error = self.copy_out(sql, until)
        if error is not None:
            raise error

    def idle_and_alive(self) -> bool:
        """Whether an idle connection is still there: a server that ended it (a restart,
        pg_terminate_backend, an idle timeout) has sent its FATAL and closed, which makes the
        socket readable; a live idle connection has nothing to read."""
        if self._buf:
            return False
        try:
            # poll, not select: select refuses descriptors from FD_SETSIZE (1024) on, which an
            # exporter serving many clients reaches (main.py raises its open-files limit).
            poller = select.poll()
            poller.register(self._sock, select.POLLIN)
            return not poller.poll(0)  # readable, or hung up / in error (reported unasked)
        except (OSError, ValueError):  # ValueError: a closed socket (no descriptor)
            return False

    def close(self) -> None:
        """Terminate, without waiting for anything."""
        try:
            self._sock.setblocking(False)
            self._sock.send(b"X\0\0\0\4")
        except OSError:
            pass
        self.abort()

    def abort(self) -> None:
        """Shut the socket (waking a thread blocked on it) and close it."""
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()

    # -- start-up

    def _startup(self, p: Params, until: float) -> None:
        pairs = {"user": p.user, "database": p.database, "client_encoding": "UTF8", **p.settings}
        body = struct.pack("!i", 196608) + b"".join(k.encode() + b"\0" + v.encode() + b"\0"
                                                   for k, v in pairs.items()) + b"\0"
        self._sendall(struct.pack("!i", len(body) + 4) + body, until)
        scram = None
        while True:
            kind, body = self._read(until)
            if kind == b"R":
                scram = self._authenticate(struct.unpack_from("!i", body)[0], body[4:], p, scram, until)
            elif kind == b"E":
                raise PgError(_fields(body))
            elif kind == b"S":
                self._parameter(body)
            elif kind == b"Z":
                self.status = body[:1]
                return
            elif kind not in b"KN":  # BackendKeyData (cancel requests are not used), notices
                raise ProtocolError(f"unexpected message {kind!r} during start-up")

    def _authenticate(self, code: int, data: bytes, p: Params, scram, until: float):
        if code == 0:  # AuthenticationOk
            self.authenticated = True
            return None
        if code == 3:  # cleartext
            self._send(b"p", p.password.encode() + b"\0", until)
        elif code == 5:  # md5(md5(password + user) + salt), hex, prefixed
            inner = md5(p.password.encode() + p.user.encode()).hexdigest().encode()
            self._send(b"p", b"md5" + md5(inner + data[:4]).hexdigest().encode() + b"\0", until)
        elif code == 10:  # SASL: the mechanisms the server offers
            if b"SCRAM-SHA-256" not in data.split(b"\0"):
                raise ProtocolError("the server offers no SASL mechanism this client speaks (SCRAM-SHA-256)")
            scram = _Scram(p.password)
            first = scram.client_first()
            self._send(b"p", b"SCRAM-SHA-256\0" + struct.pack("!i", len(first)) + first, until)
        elif code == 11 and scram:  # SASLContinue
            self._send(b"p", scram.client_final(data, until), until)
        elif code == 12 and scram:  # SASLFinal
            scram.check_server(data)
        else:
            raise ProtocolError(f"authentication method {code} is not supported")
        return scram

    def _parameter(self, body: bytes) -> None:
        key, value, _ = body.split(b"\0", 2)
        self.server[key.decode()] = value.decode(errors="replace")

    # -- framing

    def _send(self, kind: bytes, body: bytes, until: float) -> None:
        self._sendall(kind + struct.pack("!i", len(body) + 4) + body, until)

    def _sendall(self, data: bytes, until: float) -> None:
        self._sock.settimeout(_left(until))
        try:
            self._sock.sendall(data)
        except socket.timeout:
            raise TimeoutError("no answer within the time limit") from None

    def _read(self, until: float) -> tuple[bytes, bytes]:
        self._fill(5, until)
        kind, size = bytes(self._buf[:1]), struct.unpack_from("!i", self._buf, 1)[0]
        if size < 4:
            raise ProtocolError("a malformed message length")
        if size > _MAX_MESSAGE:
            # Capped while reading (issue 12): what the exporter asks for is one short row; a
            # length like this is a hostile peer or not PostgreSQL, not something to hold.
            raise ProtocolError(f"a {kind!r} message of more than {_MAX_MESSAGE} bytes")
        self._fill(1 + size, until)
        body = bytes(self._buf[5:1 + size])
        del self._buf[:1 + size]
        return kind, body

    def _fill(self, n: int, until: float) -> None:
        while len(self._buf) < n:
            self._sock.settimeout(_left(until))
            try:
                chunk = self._sock.recv(min(max(65536, n - len(self._buf)), _MAX_MESSAGE))
            except socket.timeout:
                raise TimeoutError("no answer within the time limit") from None
            if not chunk:
                raise ProtocolError("the server closed the connection")
            self._buf += chunk


def connect(p: Params, until: float) -> Connection:
    """A logged-in connection (TLS as `p.sslmode` says), by `until` (time.monotonic()).
    Raises PgError (the server refused: a login, a database), TimeoutError, OSError,
    ProtocolError."""
    if p.unix:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(_left(until))
        try:
            sock.connect(f"{p.host}/.s.PGSQL.{p.port}")
        except BaseException:
            sock.close()
            raise
    else:
        sock = tcp_connect(p.host, p.port, _left(until))
    tls, conn = False, None
    try:
        if p.sslmode not in ("disable", "allow") and not p.unix:
            plain, sock = sock, _negotiate_tls(sock, p, until)
            tls = sock is not plain
        conn = Connection(sock)
        conn._startup(p, until)
        return conn
    except socket.timeout:
        sock.close()
        raise TimeoutError("no answer within the time limit") from None
    except (struct.error, KeyError, IndexError) as exc:  # (a ValueError is Database's "connection" already)
        sock.close()
        raise ProtocolError(f"a malformed answer during the login ({type(exc).__name__})") from None
    except PgError:
        sock.close()
        if not (tls and p.sslmode == "prefer" and conn is not None and not conn.authenticated):
            raise
    except BaseException:
        sock.close()
        raise
    # libpq's (and asyncpg's) `prefer`: a login refused over TLS before AuthenticationOk
    # (pg_hba.conf's hostnossl lines) is tried once more without TLS.
    return connect(_plain(p), until)


def _plain(p: Params) -> Params:
    plain = Params.__new__(Params)
    plain.__dict__.update(vars(p), sslmode="disable")
    return plain


def _negotiate_tls(sock: socket.socket, p: Params, until: float) -> socket.socket:
    """SSLRequest; the server's one byte: S (TLS, `ssl` imported now) or N (plain, refused
    if the mode requires TLS)."""
    sock.settimeout(_left(until))
    sock.sendall(_SSL_REQUEST)
    answer = sock.recv(1)
    if answer != b"S":
        if not answer:
            raise ProtocolError("the server closed the connection")
        if p.tls_required():
            raise ProtocolError(f"the server does not accept TLS (sslmode={p.sslmode})")
        return sock
    import ssl  # only now: a connection that uses TLS

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    # The root certificates: sslrootcert, else libpq's default file when it exists.
    rootcert = p.sslrootcert or _default_rootcert()
    if p.sslmode in ("verify-ca", "verify-full") or (p.sslmode == "require" and rootcert):
        # libpq's rule: `require` with a root certificate file verifies the chain too.
        if not rootcert and p.sslmode == "verify-ca":
            # No fallback to the system's CAs: they sign certificates for anyone, and verify-ca
            # does not check the name (libpq and asyncpg refuse too).
            raise ProtocolError("sslmode=verify-ca needs sslrootcert (or ~/.postgresql/root.crt): "
                                "the system's CAs would accept any certificate they signed, for any host")
        if rootcert:
            ctx.load_verify_locations(rootcert)
        else:
            ctx.load_default_certs()
        ctx.check_hostname = p.sslmode == "verify-full"
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if p.sslcert:
        ctx.load_cert_chain(p.sslcert, p.sslkey or None)
    tls = ctx.wrap_socket(sock, server_hostname=p.host, do_handshake_on_connect=False)
    try:
        tls.settimeout(_left(until))
        tls.do_handshake()
    except BaseException:
        tls.close()  # it holds the descriptor now: closing `sock` closes nothing
        raise
    return tls


def _default_rootcert() -> str:
    path = os.path.expanduser("~/.postgresql/root.crt")
    return path if os.path.isfile(path) else ""


class _Scram:
    """SCRAM-SHA-256 (RFC 5802, RFC 7677) as PostgreSQL speaks it: no channel binding, the
    user name left empty (the server takes the start-up message's)."""

    def __init__(self, password: str):
        self.password = password.encode()  # PostgreSQL's SASLprep is skipped: ASCII passwords
        self.nonce = _b64encode(os.urandom(18))  # secrets.token_bytes
        self.first_bare = f"n=,r={self.nonce}"
        self.server_signature = b""

    def client_first(self) -> bytes:
        return ("n,," + self.first_bare).encode()

    def client_final(self, server_first: bytes, until: float) -> bytes:
        attrs = dict(a.split("=", 1) for a in server_first.decode().split(","))
        nonce, salt, rounds = attrs["r"], binascii.a2b_base64(attrs["s"]), int(attrs["i"])
        if not nonce.startswith(self.nonce):
            raise ProtocolError("SCRAM: the server's nonce does not extend ours")
        salted = _salted_password(self.password, salt, rounds, until)
        client_key = _hmac(salted, b"Client Key")
        without_proof = f"c=biws,r={nonce}"
        message = f"{self.first_bare},{server_first.decode()},{without_proof}".encode()
        signature = _hmac(sha256(client_key).digest(), message)
        proof = bytes(a ^ b for a, b in zip(client_key, signature))
        self.server_signature = _hmac(_hmac(salted, b"Server Key"), message)
        return f"{without_proof},p={_b64encode(proof)}".encode()

    def check_server(self, server_final: bytes) -> None:
        attrs = dict(a.split("=", 1) for a in server_final.decode().split(","))
        if not compare_digest(binascii.a2b_base64(attrs.get("v", "")), self.server_signature):
            raise ProtocolError("SCRAM: the server's signature is wrong")


# SCRAM's SaltedPassword by (password, salt, rounds): the server sends a user the same salt and
# rounds at every login, so only the first login pays PBKDF2's 4,096 rounds (about 5 ms of CPU
# in pure Python). At start-up the ping's connection and the pool's log in at once; the lock
# makes the second wait for the first's result instead of computing it beside it. It holds
# nothing the process does not hold already (the password is in the configuration).
_SALTED: dict[tuple[bytes, bytes, int], bytes] = {}
_SALTED_LOCK = threading.Lock()


def _salted_password(password: bytes, salt: bytes, rounds: int, until: float) -> bytes:
    key = (password, salt, rounds)
    if not _SALTED_LOCK.acquire(timeout=_left(until)):
        raise TimeoutError("no answer within the time limit")
    try:
        if key not in _SALTED:
            if len(_SALTED) >= 8:  # a password or salt that changed: forget the old ones
                _SALTED.clear()
            _SALTED[key] = _pbkdf2_sha256(password, salt, rounds, until)
        return _SALTED[key]
    finally:
        _SALTED_LOCK.release()


def _b64encode(data: bytes) -> str:
    return binascii.b2a_base64(data, newline=False).decode()  # base64.b64encode


def _hmac_pads(key: bytes):
    """HMAC-SHA-256's inner and outer hashes for `key` (RFC 2104), fed their pads."""
    key = key if len(key) <= 64 else sha256(key).digest()
    key = key.ljust(64, b"\0")
    return sha256(key.translate(_XOR_36)), sha256(key.translate(_XOR_5C))


_XOR_36, _XOR_5C = bytes(b ^ 0x36 for b in range(256)), bytes(b ^ 0x5C for b in range(256))


def _hmac(key: bytes, msg: bytes) -> bytes:
    """hmac.new(key, msg, "sha256").digest()"""
    inner, outer = _hmac_pads(key)
    inner.update(msg)
    outer.update(inner.digest())
    return outer.digest()


def _pbkdf2_sha256(password: bytes, salt: bytes, rounds: int, until: float | None = None) -> bytes:
    """RFC 8018's PBKDF2 for one block (32 bytes), as SCRAM's Hi(): hashlib's own needs OpenSSL
    from Python 3.12 on, and the exporter imports hashlib without it. The server chooses
    `rounds` (PostgreSQL 16's scram_iterations, up to 2**31 - 1: hours of pure Python), so past
    `until` (time.monotonic()) it stops with TimeoutError, checked every 1,024 rounds."""
    inner, outer = _hmac_pads(password)
    # The HMAC inlined, with its methods bound once: 4,096 rounds of it are the login's CPU
    # (about 0.7 ms less than a call per round).
    icopy, ocopy, from_bytes = inner.copy, outer.copy, int.from_bytes
    u = salt + b"\0\0\0\1"
    result = 0
    left = rounds
    while left > 0:
        if until is not None and left < rounds and time.monotonic() >= until:
            raise TimeoutError("no answer within the time limit")
        for _ in range(min(left, 1024)):
            i = icopy()
            i.update(u)
            o = ocopy()
            o.update(i.digest())
            u = o.digest()
            result ^= from_bytes(u, "big")
        left -= 1024
    return result.to_bytes(32, "big")


def _fields(body: bytes) -> dict[str, str]:
    fields = {}
    for part in body.split(b"\0"):
        if part:
            fields[chr(part[0])] = part[1:].decode(errors="replace")
    return fields


def _left(until: float) -> float:
    # A zero timeout would make the socket non-blocking: keep a sliver, so an operation at the
    # limit fails with a timeout rather than BlockingIOError.
    return max(until - time.monotonic(), 0.001)
