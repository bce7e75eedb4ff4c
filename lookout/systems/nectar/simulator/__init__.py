"""A Nectar stand-in: advances a `blocks` table in TiDB (MariaDB natively) at a set pace,
with era-correct slots, logs like Nectar's ConnectionRecovery, and takes faults."""
