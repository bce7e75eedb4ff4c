"""TBURN's burn-rate alert against the catalog (shared/alert-catalog.md, "TBURN mainnet",
TburnAvailabilityBurn: "SLA uptime 99.9%", 14.4x over 1h and 5m or 6x over 6h and 30m
critical, 3x over 1d and 2h or 1x over 3d and 6h warning)."""
from __future__ import annotations

from lookout.alert_rules.catalog import build


def test_burn_rate_pairs_match_the_catalog():
    from lookout.systems.tburn.signals import BURN_WINDOWS, OBJECTIVE, _factor
    sig = next(s for s in build(None) if s.key == "tburn_availability_burn")
    assert OBJECTIVE == 0.999
    assert {(w.severity, w.long, w.short, _factor(sig, w.factor)) for w in BURN_WINDOWS} == {
        ("critical", "1h", "5m", 14.4), ("critical", "6h", "30m", 6),
        ("warning", "1d", "2h", 3), ("warning", "3d", "6h", 1)}
