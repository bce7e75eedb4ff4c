"""A TBURN mainnet stand-in: runbook 004's status endpoints with plausible dynamics and faults."""
