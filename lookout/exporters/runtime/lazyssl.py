"""`ssl` loaded only when TLS is configured (issue 24: about 5 MB of an exporter's 17).

The runtime imports no asyncio (whose import pulls in `ssl` for TLS it may never do): the
server imports `ssl` only for a web-config with TLS (`load()`), and so do the HTTP clients for
an https target.

`only_if(tls)` keeps a database driver from loading it, decided from the configuration before
the driver is imported (main.py: an exporter's `drivers_use_tls`): PyMySQL imports `ssl` (and
through hashlib OpenSSL's libcrypto) at its own import, for TLS a configuration without TLS
never makes. tests/runtime/test_footprint.py checks both halves: no `ssl` with the default
configuration, and real handshakes with a web-config.
"""
from __future__ import annotations

import sys
from contextlib import contextmanager
TYPE_CHECKING = False  # typing's own flag, without importing typing (issue 24: start-up)
if TYPE_CHECKING:
    from typing import Iterator


# Standard modules that fall back to builtin code without OpenSSL's hashes (hashlib: _sha1,
# _sha256, _md5, a pure pbkdf2_hmac; hmac: _operator's compare_digest).
_HASH_FALLBACKS = ("hashlib", "hmac")


@contextmanager
def only_if(tls: bool) -> Iterator[None]:
    """Run the imports inside with `ssl` and `_hashlib` (OpenSSL's libssl and libcrypto, about
    4.5 MB RSS) made to fail, unless `tls` or `ssl` is already imported.

    For a driver that falls back when they are missing (PyMySQL 1.2.4's connections.py sets
    `SSL_ENABLED = False`; hashlib serves sha1 and sha256 from builtin modules): the modules
    imported inside keep what they fell back to, which is all a configuration without TLS
    uses. Afterwards both imports work again: a later `import ssl` gets the whole module, and a
    later `import hashlib` or `import hmac` elsewhere gets the whole module (the fallback
    copies imported inside are forgotten by sys.modules, kept by their importers).
    A driver that needs `ssl` at its import (asyncpg, aiohttp) raises ImportError inside: call this
    only around a driver known to fall back.
    """
    if tls or "ssl" in sys.modules:
        yield
        return
    blocked = [name for name in ("ssl", *_without_openssl_hashes()) if name not in sys.modules]
    fresh = [name for name in _HASH_FALLBACKS if name not in sys.modules]
    for name in blocked:
        sys.modules[name] = None  # makes `import name` raise ImportError
    try:
        yield
    finally:
        for name in blocked:
            if sys.modules.get(name, 0) is None:
                del sys.modules[name]
        if "_hashlib" in blocked:
            for name in fresh:
                sys.modules.pop(name, None)


def _without_openssl_hashes() -> tuple[str, ...]:
    """("_hashlib",) when this Python has builtin sha1 and sha256 to fall back to; a build
    without them (`--with-builtin-hashlib-hashes=blake2`, as FIPS builds are) keeps OpenSSL's,
    or hashlib would log errors at import and every sha1 login would fail. Found by importing
    them (hashlib imports them next), not with importlib.util.find_spec, whose import costs
    about 0.4 ms of start-up (issue 24)."""
    try:
        import _sha1, _sha256  # noqa: F401
    except ImportError:
        return ()
    return ("_hashlib",)


def load():
    """The real `ssl` module (imported on first use)."""
    import ssl

    return ssl
