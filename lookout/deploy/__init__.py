"""Deploying Lookout past one machine: an HA pair of Prometheus servers and an Alertmanager
cluster, remote write to a long-term store, and Prometheus Operator resources for Kubernetes.

Everything here is generated from the alert signals (lookout/alert_rules), the project's
routing (prometheus/alertmanager.yml) and the systems registry; `python -m lookout.deploy`
writes deploy/ and `--check` fails when a committed file differs from what it would write.
"""
