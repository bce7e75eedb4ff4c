"""lookout-remediate: an Alertmanager webhook receiver that carries out the runbooks' own
remedies (issue 15), allow-listed in a config file and guarded (auth/TLS, firing only,
cooldown, attempts per window, a time bound per action, dry-run, an off switch), with an
append-only JSON lines audit log, its own /metrics and a landing page."""
