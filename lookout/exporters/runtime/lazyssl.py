"""`ssl` loaded only when TLS is configured (issue 24: about 5 MB of an exporter's 17).

asyncio imports `ssl` at its own import, for TLS it may never do; its three modules that do
(base_events, selector_events, sslproto) fall back to `ssl = None` when the import fails.
`defer()` lets that import fail once, while asyncio is first imported, and watches for the
real import: whoever imports `ssl` later (the web-config with TLS, a driver, aiohttp in the
remediation receiver) gets it, and so do those three modules, so asyncio's TLS (start_tls,
create_connection(ssl=...)) then works as if nothing happened.
tests/runtime/test_footprint.py checks both halves: no `ssl` with the default configuration,
and real handshakes with a web-config.

`only_if(tls)` does the same for a database driver, decided from the configuration before the
driver is imported (main.py: an exporter's `drivers_use_tls`): PyMySQL imports `ssl` (and
through hashlib OpenSSL's libcrypto) at its own import, for TLS a configuration without TLS
never makes.
"""
from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Iterator

_ASYNCIO_SSL_MODULES = ("asyncio.base_events", "asyncio.selector_events", "asyncio.sslproto")


def defer() -> None:
    """Import asyncio without `ssl`; a no-op when either is already imported."""
    if "asyncio" in sys.modules or "ssl" in sys.modules:
        return
    sys.modules["ssl"] = None  # makes `import ssl` raise ImportError
    try:
        import asyncio  # noqa: F401  (the import is the point)
    finally:
        if sys.modules.get("ssl", 0) is None:
            del sys.modules["ssl"]
    sys.meta_path.insert(0, _OnSslImport())


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
    uses. Afterwards both imports work again: `ssl` reaches asyncio as in `defer()`, and a
    later `import hashlib` or `import hmac` elsewhere gets the whole module (the fallback
    copies imported inside are forgotten by sys.modules, kept by their importers).
    A driver that needs `ssl` at its import (asyncpg) raises ImportError inside: call this
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
    or hashlib would log errors at import and every sha1 login would fail."""
    from importlib.util import find_spec
    return ("_hashlib",) if find_spec("_sha1") and find_spec("_sha256") else ()


class _OnSslImport:
    """A meta-path finder that lets the normal finders find `ssl`, then hands the module to
    asyncio once it has run."""

    def find_spec(self, name, path=None, target=None):
        if name != "ssl":
            return None
        sys.meta_path.remove(self)
        from importlib.util import find_spec

        spec = find_spec("ssl")
        if spec is not None and spec.loader is not None:
            spec.loader = _ThenGive(spec.loader)
        return spec


class _ThenGive:
    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        self.loader.exec_module(module)
        _give(module)


def load():
    """The real `ssl` module, given to asyncio's modules if they were imported without it."""
    import ssl

    _give(ssl)
    return ssl


def _give(ssl) -> None:
    for name in _ASYNCIO_SSL_MODULES:
        module = sys.modules.get(name)
        if module is not None and getattr(module, "ssl", ssl) is None:
            module.ssl = ssl
    proto = sys.modules.get("asyncio.sslproto")
    if proto is not None and not hasattr(proto, "SSLAgainErrors"):
        proto.SSLAgainErrors = (ssl.SSLWantReadError, ssl.SSLSyscallError)
