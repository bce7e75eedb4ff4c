"""Stands in for the nightly backup job: writes restic's summary to the status file (see __main__)."""
