"""The `lookout` command line (demo tools)."""
