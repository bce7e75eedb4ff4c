"""`ssl` loaded only when TLS is configured (issue 24: about 5 MB of an exporter's 17).

asyncio imports `ssl` at its own import, for TLS it may never do; its three modules that do
(base_events, selector_events, sslproto) fall back to `ssl = None` when the import fails.
`defer()` lets that import fail once, while asyncio is first imported, and watches for the
real import: whoever imports `ssl` later (the web-config with TLS, a driver, aiohttp in the
remediation receiver) gets it, and so do those three modules, so asyncio's TLS (start_tls,
create_connection(ssl=...)) then works as if nothing happened.
tests/runtime/test_footprint.py checks both halves: no `ssl` with the default configuration,
and real handshakes with a web-config.
"""
from __future__ import annotations

import sys

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
