# sixth_system/ is test data: lookout/systems/backup/ as a newcomer would add it. Its own tests
# import it under that name, so they run in test_sixth_system.py's copy of the repo, not here.
collect_ignore = ["sixth_system"]
__all__ = ["collect_ignore"]  # read by pytest, not by code vulture can see
