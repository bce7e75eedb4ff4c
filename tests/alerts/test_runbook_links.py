"""Issue 25: every runbook_url is absolute; generated deployments take a required base with a
documented default; in the native demo the runbooks are served and every link opens.

The expected default is the published docs' address the project already links to
(lookout/remediate/alerts.yml), written out here, not read from the code under test."""
from __future__ import annotations

import re
import subprocess
import sys
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PUBLISHED = "https://github.com/lookout/lookout/blob/main/docs/"


def runbook_urls(paths) -> list[tuple[str, str, str]]:
    """(file, alert, runbook_url) of every alert rule in the rule files or Kubernetes manifests."""
    found = []
    for path in paths:
        for doc in yaml.safe_load_all(Path(path).read_text()):
            groups = (doc or {}).get("groups") or ((doc or {}).get("spec") or {}).get("groups") or []
            for group in groups:
                for rule in group.get("rules", []):
                    if "alert" in rule:
                        found.append((str(path), rule["alert"], rule.get("annotations", {}).get("runbook_url", "")))
    return found


def generated_files(deploy: Path = ROOT / "deploy") -> list[Path]:
    return [*sorted((ROOT / "lookout" / "alert_rules" / "generated").glob("*.yml")),
            *sorted((deploy / "ha" / "rules").glob("*.yml")), deploy / "kubernetes" / "prometheusrules.yaml",
            deploy / "mixin" / "prometheus_alerts.yaml"]


def test_every_generated_rule_has_an_absolute_runbook_url_at_the_published_docs():
    urls = runbook_urls(generated_files())
    assert len(urls) > 40
    bad = [(f, a, u) for f, a, u in urls if not u.startswith(PUBLISHED) or "#" not in u]
    assert bad == []


@pytest.mark.integration
def test_deploy_takes_the_runbook_base_and_refuses_a_relative_one(tmp_path):
    base = "https://docs.example.org/ops/lookout/runbooks.md"
    ok = subprocess.run([sys.executable, "-m", "lookout.deploy", "--out", str(tmp_path), "--runbook-base", base],
                        cwd=ROOT, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    urls = runbook_urls(generated_files(tmp_path)[-4:])
    assert urls and all(u.startswith("https://docs.example.org/ops/lookout/") for _, _, u in urls), urls
    pages = {urlsplit(u).path.rsplit("/", 1)[1] for _, _, u in urls}
    assert pages == {"runbooks.md", "deploying.md", "remediation.md"}
    bad = subprocess.run([sys.executable, "-m", "lookout.deploy", "--out", str(tmp_path / "x"),
                          "--runbook-base", "docs/runbooks.md"], cwd=ROOT, capture_output=True, text=True)
    assert bad.returncode == 2
    assert bad.stderr.startswith("--runbook-base: must be an absolute http(s) URL")
    assert "Traceback" not in bad.stderr and not (tmp_path / "x").exists()


def test_a_relative_base_in_thresholds_is_refused_naming_the_key(tmp_path):
    from lookout.alert_rules.__main__ import main
    thresholds = tmp_path / "t.yml"
    thresholds.write_text("_config:\n  runbook_url_base: docs/runbooks.md\n")
    import contextlib
    import io
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert main(["--thresholds", str(thresholds), "--out", str(tmp_path / "out")]) == 2
    assert "_config.runbook_url_base" in err.getvalue() and "absolute" in err.getvalue()


class _Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.ids.update(v for k, v in attrs if k == "id")


class _Stack:
    """What runbooks.serve uses of a NativeStack (the demo's own hook, run here alone)."""

    def __init__(self, tmp: Path, rule_files: list[Path]):
        self.random_ports, self.dir, self.rule_files, self.urls, self.stops = True, tmp, rule_files, {}, []

    def on_stop(self, name, fn):
        self.stops.append(fn)


@pytest.mark.integration
@pytest.mark.parametrize("profile_name", ["fast", "real"])
def test_every_link_in_the_demos_rules_opens_on_its_runbook_server(tmp_path, profile_name):
    from lookout.demo import runbooks
    from lookout.demo.profiles import PROFILES
    from lookout.demo.rules import build_rules
    stack = _Stack(tmp_path, build_rules(PROFILES[profile_name], tmp_path / "rules"))
    files = runbooks.serve(stack)
    try:
        # `lookout demo up --ha`: the pair loads these files plus the meta-alerts LocalHA writes.
        from lookout.deploy.local import LocalHA
        pair = LocalHA(tmp_path / "ha", {}, files, "http://127.0.0.1:9/", "http://127.0.0.1:9/ping",
                       runbook_base=stack.urls["runbooks"])
        urls = runbook_urls(pair.rule_files)
        alerts = {a for _, a, _ in urls}
        assert {"RemediationExhausted", "NectarDatabaseDown", "Watchdog"} <= alerts and len(urls) > 40
        server = stack.urls["runbooks"].rsplit("/docs/", 1)[0]
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", server)
        pages: dict[str, set[str]] = {}
        for file, alert, url in urls:
            page, _, section = url.partition("#")
            assert page.startswith(server + "/docs/") and section, (file, alert, url)
            if page not in pages:
                with urllib.request.urlopen(page, timeout=10) as resp:
                    assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/html")
                    parser = _Ids()
                    parser.feed(resp.read().decode())
                    pages[page] = parser.ids
            assert section in pages[page], f"{alert}: no #{section} in {page}"
        with pytest.raises(urllib.error.HTTPError) as outside:
            urllib.request.urlopen(server + "/docs/../README.md", timeout=10)
        assert outside.value.code == 404
    finally:
        for stop in stack.stops:
            stop()
