"""An asyncio event loop on a thread of its own, for the drivers that only speak asyncio.

The runtime serves and collects on plain threads: asyncio costs about 2 MB of resident memory
and 25 ms of start-up (issue 24), so it is imported only by an exporter whose driver needs it
(ticks' asyncpg), through this module, at the first call.
"""
from __future__ import annotations

import threading
from typing import Any, Awaitable, Callable

from .collector import CollectError

_lock = threading.Lock()
_loop = None  # the one loop, started at the first `run`


def run(make: Callable[[], Awaitable[Any]], timeout: float) -> Any:
    """`await make()` on the shared loop, from a collector's thread; its result or exception.

    At `timeout` seconds the coroutine is cancelled and CollectError("timeout") raised at once,
    without waiting for the cancellation to finish (a driver releasing a connection to a frozen
    server could take much longer). A coroutine that ends cancelled by someone else is
    CollectError("error"). Calls from several threads run concurrently on the one loop.
    """
    import asyncio
    import concurrent.futures

    future = asyncio.run_coroutine_threadsafe(_call(make), _running_loop())
    try:
        return future.result(max(timeout, 0.0))
    except concurrent.futures.TimeoutError:
        if future.done():  # the coroutine's own TimeoutError (a driver's), not ours
            raise
        future.cancel()
        raise CollectError("timeout", f"no answer within {timeout:.2f}s") from None
    except concurrent.futures.CancelledError:
        raise CollectError("error", "the call was cancelled") from None


async def _call(make: Callable[[], Awaitable[Any]]) -> Any:
    return await make()


def _running_loop():
    global _loop
    with _lock:
        if _loop is None:
            import asyncio

            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="asyncio", daemon=True).start()
            _loop = loop
        return _loop
