"""Grafana provisioning for compose: the data source the dashboards default to, a provider
reading the generated files, and the wall screen as the home dashboard."""
from __future__ import annotations

import configparser
from pathlib import Path, PurePosixPath

import yaml
from .dashboard_json import GENERATED, ROOT

GRAFANA = ROOT / "prometheus" / "grafana"


def test_datasource_is_the_default_prometheus():
    ds = yaml.safe_load((GRAFANA / "provisioning/datasources/lookout.yml").read_text())["datasources"]
    assert len(ds) == 1 and ds[0]["type"] == "prometheus" and ds[0]["isDefault"] is True
    assert ds[0]["url"].startswith("http://")


def test_provider_reads_the_generated_dashboards_and_home_is_the_wall():
    providers = yaml.safe_load((GRAFANA / "provisioning/dashboards/lookout.yml").read_text())["providers"]
    assert len(providers) == 1 and providers[0]["type"] == "file"
    mount = PurePosixPath(providers[0]["options"]["path"])
    ini = configparser.ConfigParser(comment_prefixes=(";", "#"))
    ini.read(GRAFANA / "grafana.ini")
    home = PurePosixPath(ini["dashboards"]["default_home_dashboard_path"])
    assert home.parent == mount
    assert (GENERATED / home.name).is_file()
    # The documented mounts are the ones the files assume.
    readme = (GRAFANA / "README.md").read_text()
    assert f"./lookout/dashboards/generated:{mount}" in readme
    assert "./prometheus/grafana/provisioning:/etc/grafana/provisioning" in readme
    assert "./prometheus/grafana/grafana.ini:/etc/grafana/grafana.ini" in readme


def test_the_generated_folder_holds_only_dashboards():
    assert {p.suffix for p in Path(GENERATED).iterdir()} == {".json"}
