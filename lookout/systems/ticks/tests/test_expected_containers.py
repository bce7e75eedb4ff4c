"""Issue 22: a container chosen by labels that is removed altogether (not just stopped) has no
series at all; listed in docker.expected_containers it reads as not running (CollectorDown)."""
from __future__ import annotations

from lookout.devstack.proc import scrape

from .test_containers import SLEEP, docker_cfg, group, run, state  # noqa: F401 - fixture


def test_an_expected_container_removed_altogether_is_not_running(docker_engine, group, table, exporter):  # noqa: F811
    name = f"eth-collector-{group}"
    container = run(docker_engine, group, "eth-collector", SLEEP)
    exp = exporter({"tables": [{"name": table()}],
                    "docker": docker_cfg(docker_engine, group, expected_containers=[name])})
    m = scrape(exp.url)
    assert m.get("ticks_container_running", container=name) == 1
    container.remove(force=True)
    m = scrape(exp.url)
    assert m.get("lookout_collector_success", collector="containers") == 1
    assert m.get("ticks_container_running", container=name) == 0
    assert state(m, "ticks_container_status", name) == ""
