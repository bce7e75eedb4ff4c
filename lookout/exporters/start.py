"""The exporters' console scripts (setup.py): `lookout-<key>` runs `start.<key>()`, which runs
`lookout.systems.<key>.exporter.__main__.main` with the cyclic garbage collector off until the
runtime is about to serve.

Why: start-up's imports and configuration allocate tens of thousands of objects that live as
long as the process and free almost none, so the collections CPython runs meanwhile (one per
700 allocations) walk them for nothing: about 10 million instructions, 5 ms of an exporter's
start-up (issue 24). runtime/main.py's settle_gc freezes what start-up built and turns the
collector back on before the first connection is accepted. This module imports nothing of
Lookout before the collector is off (the system's package imports the whole runtime).
"""
from __future__ import annotations

import gc


def __getattr__(key: str):
    if key.startswith("_"):
        raise AttributeError(key)

    def main() -> None:
        gc.disable()
        from importlib import import_module
        import_module(f"lookout.systems.{key}.exporter.__main__").main()
    main.__qualname__ = main.__name__ = key
    return main
