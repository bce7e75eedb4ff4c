"""docs/alerting.md's receivers section says what the generated Alertmanager config does, and its
"point them at a real pager" recipe gives a config Alertmanager accepts: judged by amtool
(Debian's Alertmanager tools) on prometheus/alertmanager.yml, not by Lookout's own code."""
from __future__ import annotations

import re
import subprocess
import textwrap

import pytest
import yaml

from lookout.devstack.proc import ROOT

DOC = ROOT / "docs" / "alerting.md"
GENERATED = ROOT / "prometheus" / "alertmanager.yml"


@pytest.fixture(scope="module")
def doc() -> str:
    return DOC.read_text()


def _amtool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["amtool", *args], capture_output=True, text=True, timeout=60)


def test_the_routing_tree_is_amtools(doc):
    block = re.search(r"<!-- routing tree:.*?-->\n```\n(.*?)```", doc, re.S)
    assert block, "docs/alerting.md has no routing tree block"
    shown = _amtool("config", "routes", "show", "--config.file", str(GENERATED))
    assert shown.returncode == 0, shown.stderr
    assert block.group(1).strip() == shown.stdout.strip()


def test_the_receivers_table_matches_the_config(doc):
    receivers = {r["name"]: r for r in yaml.safe_load(GENERATED.read_text())["receivers"]}
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| `(\w+)` \|.*$", doc, re.M)}
    assert set(rows) == set(receivers)
    for name, receiver in receivers.items():
        for hook in receiver["webhook_configs"]:
            assert f"`{hook['url']}`" in rows[name] or f"`{hook['url']}` " in rows[name], (name, rows[name])
            auth = hook.get("http_config", {})
            for secret in (auth.get("authorization", {}).get("credentials_file"),
                           auth.get("basic_auth", {}).get("password_file")):
                if secret:
                    assert secret in rows[name], (name, secret)


def test_the_documented_route_test_prints_what_the_doc_says(doc):
    m = re.search(r"`amtool config routes test --config.file\s+prometheus/alertmanager.yml ([^`]+)` prints `(\w+)`", doc)
    assert m, "no amtool routes test example"
    run = _amtool("config", "routes", "test", "--config.file", str(GENERATED), *m.group(1).split())
    assert run.returncode == 0 and run.stdout.strip() == m.group(2), run.stdout + run.stderr


def test_the_real_pager_recipe_is_a_valid_config_with_the_same_routes(doc, tmp_path):
    snippet = re.search(r"^( *)```yaml\n(\1receivers:.*?)^\1```", doc, re.S | re.M)
    assert snippet, "no receivers recipe"
    text = textwrap.dedent(snippet.group(2))
    # The recipe's absolute secret paths, moved into the test's own folder.
    secrets = sorted(set(re.findall(r"(/etc/prometheus/secrets/[\w.-]+)", text)))
    assert secrets
    for path in secrets:
        local = tmp_path / path.lstrip("/")
        local.parent.mkdir(parents=True, exist_ok=True)
        local.write_text("https://chat.example.invalid/hook\n" if "url" in path else "0123456789abcdef\n")
        text = text.replace(path, str(local))
    recipe = yaml.safe_load(text)["receivers"]
    cfg = yaml.safe_load(GENERATED.read_text())
    (tmp_path / "secrets").mkdir(exist_ok=True)
    (tmp_path / "secrets" / "remediate-password").write_text("x\n")
    replaced = {r["name"] for r in recipe}
    cfg["receivers"] = recipe + [r for r in cfg["receivers"] if r["name"] not in replaced]
    out = tmp_path / "alertmanager.yml"
    out.write_text(yaml.safe_dump(cfg))
    check = _amtool("check-config", str(out))
    assert check.returncode == 0, check.stdout + check.stderr
    for labels, expected in ((["severity=critical", "system=tburn", "alertname=TburnDown"], "pager"),
                             (["severity=warning", "system=ticks", "alertname=TickRateLow"], "chat")):
        run = _amtool("config", "routes", "test", "--config.file", str(out), *labels)
        assert run.stdout.strip() == expected, run.stdout + run.stderr
