import pytest
import yaml

from lookout.devstack.proc import ExporterProcess, exporter_fixture
from lookout.devstack.simulator import SimulatorProcess


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    """One real simulator per test module; tests reset it instead of restarting it."""
    proc = SimulatorProcess(tmp_path_factory.mktemp("tburn-sim"), ["--seed", "7"]).wait_ready()
    yield proc
    proc.stop()


@pytest.fixture
def fresh_sim(sim):
    sim.reset()
    yield sim
    sim.reset()


SESSION = "connect.sid=lookout-demo-session"  # the simulator's default --session


# The routes that start TBURN's simulated shard orchestrator are off by default; the tests
# read them (there is no simulation to start behind a canned server or the simulator) unless
# a test asks for the defaults with simulated_routes=False.
SIMULATED_ROUTES_ON = {"circuit_breakers": {"enabled": True}, "shards": {"enabled": True}}


def write_config(path, base_url: str, simulated_routes: bool = True, **settings):
    if simulated_routes:
        given = settings.get("endpoints", {})
        settings["endpoints"] = {**given, **{k: {**v, **given.get(k, {})} for k, v in SIMULATED_ROUTES_ON.items()}}
    cfg = {"base_url": base_url, "auth": {"cookie": SESSION}, **settings}
    path.write_text(yaml.safe_dump(cfg))
    return path


@pytest.fixture(name="write_config")
def write_config_fixture():
    return write_config


@pytest.fixture(scope="module")
def sim_exporter(sim, tmp_path_factory):
    """The real exporter scraping the module's simulator, collecting on every scrape."""
    workdir = tmp_path_factory.mktemp("tburn-exporter")
    proc = ExporterProcess("tburn", write_config(workdir / "tburn.yml", sim.url), workdir).wait_ready()
    yield proc
    proc.stop()


exporter = exporter_fixture("tburn")


@pytest.fixture
def fuzz_server():
    from lookout.devstack.fuzz_body_server import FuzzBodyServer
    server = FuzzBodyServer().start()
    yield server
    server.stop()


# `pytest lookout/systems/tburn/tests --hypothesis-profile tburn-deep` fuzzes far longer than CI does.
from hypothesis import settings as _hypothesis_settings  # noqa: E402

_hypothesis_settings.register_profile("tburn-deep", max_examples=3000)
