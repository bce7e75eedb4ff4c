import pytest

from .harness import Receiver


@pytest.fixture
def receiver(tmp_path):
    """receiver(config, **kw) starts `python -m lookout.remediate`; all are stopped at teardown."""
    started: list[Receiver] = []

    def start(config: dict, ready_context=None, **kw) -> Receiver:
        r = Receiver(tmp_path, config, **kw)
        started.append(r)
        return r.wait_ready(context=ready_context)
    yield start
    for r in started:
        r.stop()
