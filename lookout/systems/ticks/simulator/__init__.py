"""A tick collector stand-in: ETH option ticks into TimescaleDB (PostgreSQL natively) at
~200/min, the real collector's log lines, a health file for Docker's HEALTHCHECK, and faults
that survive a restart (a crash loop must keep crashing after Docker restarts it)."""
