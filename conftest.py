"""The root conftest: pytest reads `pytest_plugins` only here, and loads this file for every
test wherever it lives (tests/ and each system's lookout/systems/<key>/tests/), so the test
pyramid's marking (tests/pyramid.py) applies to all of them, one registration."""
pytest_plugins = ("tests.pyramid",)
