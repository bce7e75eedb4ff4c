"""Lookout: exporters, alert rules, dashboards and a demo for four home-grown production systems."""
