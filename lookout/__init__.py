"""Lookout: exporters, alert rules, dashboards and a demo for four home-grown production systems."""

__version__ = "0.1.0"  # the one place the version is written (pyproject reads it; build_info reports it)
