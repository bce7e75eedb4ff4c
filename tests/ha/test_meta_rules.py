"""promtool test rules for the HA meta-alerts (deploy/ha/rules/lookout-ha.yml) and for
ExporterDown's hand-over of the monitoring stack's own jobs to them: each side of every
boundary and of every `for` (1m for the peers, 2m for ExporterDown)."""
from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from lookout.alert_rules.settings import OUTPUT_DIR

ROOT = Path(__file__).resolve().parents[2]
META = ROOT / "deploy" / "ha" / "rules" / "lookout-ha.yml"
EXPORTER_RULES = OUTPUT_DIR / "exporter.yml"


RUNBOOK = "https://github.com/lookout/lookout/blob/main/docs/"  # the published docs (issue 25)
# The annotations as they must read, written out by hand (not rendered by the code under test).
SUMMARY = {
    "Watchdog": "The alerting pipeline is alive; this alert always fires.",
    "PrometheusPeerDown": "A Prometheus replica cannot be scraped by its peer.",
    "AlertmanagerPeerDown": "An Alertmanager of the cluster cannot be scraped.",
    "AlertmanagerClusterDegraded": "An Alertmanager sees fewer cluster members than the layout runs.",
    "ExporterDown": "Prometheus cannot scrape an exporter.",
}
DESCRIPTION = {
    "Watchdog": "Always firing (value 1) so that the heartbeat service notices when it stops arriving: then no"
                " Prometheus evaluates rules or no Alertmanager delivers.",
    "PrometheusPeerDown": "Prometheus {instance} has not answered a scrape for 1m (up = 0); the pair runs on one replica.",
    "AlertmanagerPeerDown": "Alertmanager {instance} has not answered a scrape for 1m (up = 0); pages depend on the"
                            " members left.",
    "AlertmanagerClusterDegraded": "Alertmanager {instance} sees 1 gossip members of 2; a lost or partitioned peer"
                                   " may mean a page sent twice.",
    "ExporterDown": "Prometheus has failed to scrape {instance} (job {job}) for 2 minutes (up = 0); everything it"
                    " watches is unobserved.",
}
ANCHOR = {"ExporterDown": "runbooks.md#exporterdown"}


def _alerts(name: str, times_and_labels: list[tuple[str, list[dict]]]) -> list[dict]:
    def annotations(labels: dict) -> dict:
        return {"summary": SUMMARY[name], "description": DESCRIPTION[name].format(**labels),
                "runbook_url": RUNBOOK + ANCHOR.get(name, "deploying.md#" + name.lower())}
    return [{"eval_time": t, "alertname": name,
             "exp_alerts": [{"exp_labels": labels, "exp_annotations": annotations(labels)} for labels in expected]}
            for t, expected in times_and_labels]


def _crit(**labels) -> dict:
    return {"severity": "critical", "system": "exporter", **labels}


def _warn(**labels) -> dict:
    return {"severity": "warning", "system": "exporter", **labels}


def run(tmp_path: Path, rule_files: list[Path], tests: list[dict]) -> subprocess.CompletedProcess:
    path = tmp_path / "tests.yml"
    path.write_text(yaml.safe_dump({"rule_files": [str(p) for p in rule_files], "evaluation_interval": "15s",
                                    "tests": tests}, sort_keys=False))
    return subprocess.run(["promtool", "test", "rules", str(path)], capture_output=True, text=True, timeout=120)


PEER_B = {"job": "prometheus", "instance": "prometheus-b:9090"}
AM_B = {"job": "alertmanager", "instance": "alertmanager-b:9093"}
AM_A = {"job": "alertmanager", "instance": "alertmanager-a:9093"}
TBURN = {"job": "tburn", "instance": "tburn:9864"}


def _series(labels: dict, values: str, name: str = "up") -> dict:
    return {"series": name + "{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}", "values": values}


TESTS = [
    {   # Always firing, from the first evaluation on.
        "interval": "15s", "input_series": [],
        "alert_rule_test": _alerts("Watchdog", [("0m", [_warn()]), ("10m", [_warn()])]),
    },
    {   # A peer Prometheus down 0 for 2m then back: pending before 1m, firing at 1m, gone when up.
        "interval": "15s",
        "input_series": [_series(PEER_B, "0x8 1x8"), _series({**PEER_B, "instance": "prometheus-a:9090"}, "1x16")],
        "alert_rule_test": _alerts("PrometheusPeerDown", [
            ("45s", []), ("1m", [_crit(**PEER_B)]), ("2m", [_crit(**PEER_B)]), ("2m15s", [])]),
    },
    {   # The same for an Alertmanager; its survivor sees 1 member of 2 (the cluster-size alert).
        "interval": "15s",
        "input_series": [_series(AM_B, "0x8 1x8"), _series(AM_A, "1x16"),
                         _series(AM_A, "2 1x8 2x7", "alertmanager_cluster_members")],
        "alert_rule_test": _alerts("AlertmanagerPeerDown", [
            ("45s", []), ("1m", [_crit(**AM_B)]), ("2m15s", [])]) + _alerts("AlertmanagerClusterDegraded", [
            ("1m", []), ("1m15s", [_warn(**AM_A)]), ("2m15s", [_warn(**AM_A)]), ("2m30s", [])]),
    },
    {   # ExporterDown: an exporter's job pages after 2m; the stack's own jobs never do.
        "interval": "15s",
        "input_series": [_series(TBURN, "0x12"), _series(AM_B, "0x12"), _series(PEER_B, "0x12")],
        "alert_rule_test": _alerts("ExporterDown", [("1m45s", []), ("2m", [_crit(role="down", **TBURN)]),
                                                    ("3m", [_crit(role="down", **TBURN)])]),
    },
]


def test_meta_alerts_and_exporter_down_on_both_sides_of_their_boundaries(tmp_path):
    res = run(tmp_path, [META, EXPORTER_RULES], TESTS)
    assert res.returncode == 0, res.stdout + res.stderr
