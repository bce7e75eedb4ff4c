"""Alert rules generated from one source of thresholds (see model.py)."""
