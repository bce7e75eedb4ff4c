"""The demo's tick writer loses a flush the way datadownloader 377f9a60 does, and says so in
the same words (scripts/tick_writer.py, scripts/ws_tick_collector.py _flush_buffers())."""
import asyncio
import logging

from lookout.systems.ticks.simulator.faults import FAULTS, PersistentFaults
from lookout.systems.ticks.simulator.writer import TickWriter


def test_write_failures_drop_a_flush_with_the_collectors_own_lines(pg, caplog):
    faults = PersistentFaults(FAULTS, None)
    writer = TickWriter(pg.dsn(database="crypto_data"), faults, ticks_per_minute=6000, stats_every=3600,
                        health_file=None, seed=1)
    faults.inject("write-failures", {"every_seconds": 1})

    async def run_for(seconds: float):
        task = asyncio.create_task(writer.run())
        await asyncio.sleep(seconds)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass

    with caplog.at_level(logging.ERROR, logger="tick_collector"):
        asyncio.run(run_for(2.5))
    lines = [r.getMessage() for r in caplog.records]
    lost = [m for m in lines if m.startswith("Failed to flush buffers: ")]
    assert 2 <= len(lost) <= 4  # the first at once, then one a second
    assert any(m.startswith("Failed to write ") and m.endswith(" quotes after 3 attempts") for m in lines)
    assert sum(m.startswith("Batch write failed (attempt ") for m in lines) == 3 * len(lost)
    assert writer.total > 0  # the other flushes are written
