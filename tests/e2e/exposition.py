"""What the production-timing stack's static targets serve (tests/e2e/test_production_timing.py):
the shared pieces of each system's lookout/systems/<key>/tests/production.py."""
from __future__ import annotations


def collectors(exporter: str, failing: set[str], names: tuple[str, ...]) -> list[tuple[str, float]]:
    """`lookout_collector_success` of each collector of `names`, 0 for those `failing`."""
    return [(f'lookout_collector_success{{exporter="{exporter}",collector="{c}"}}', float(c not in failing))
            for c in names]
