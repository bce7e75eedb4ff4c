"""Alert rules generated from one source of thresholds.

signals/<system>.py define every alert of the catalog as a Signal (model.py);
thresholds.yml holds the operator's overrides (overrides.py checks them); catalog.py
gives the effective SIGNALS; rules.py and generate.py turn them into <system>.yml, which
`python -m lookout.alert_rules` writes and `python -m lookout.alert_rules --check` verifies.
"""
