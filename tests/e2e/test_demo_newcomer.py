"""The native demo as a newcomer meets it: every URL and command the banner prints works as
printed (from a new shell: no virtualenv on PATH, another cwd), inject/recover/status answer
one readable line each, recover names only what it restored, the demo's own terminal shows
each page and its resolution as they arrive, and --keep keeps the logs after Ctrl-C.

Its own demo (started with --keep), so the session demo of test_stack.py is left alone.
Expected values come from elsewhere: the alert's summary from the generated rule file, the
servers' answers from the servers themselves.
"""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path

import psutil
import pytest
import yaml

from lookout.devstack.demo_stack import Demo, strays
from lookout.devstack.proc import ROOT, http_get, wait_until

# A new shell: the system PATH only (no .venv/bin), started somewhere else than the checkout.
NEW_SHELL = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": os.environ.get("HOME", "/"), "LANG": "C.UTF-8"}


def _summary(alert: str) -> str:
    for path in (ROOT / "lookout/alert_rules/generated").glob("*.yml"):
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                if rule.get("alert") == alert:
                    return rule["annotations"]["summary"]
    raise AssertionError(f"no rule for {alert}")


@pytest.fixture(scope="module")
def kept_demo():
    workdir = Path(tempfile.mkdtemp(prefix="lookout-newcomer-"))
    d = Demo(workdir, extra_args=("--keep",))
    yield d
    d.stop()
    for line in strays(d.state["demo_id"]):
        try:
            psutil.Process(int(line.split()[0])).kill()
        except psutil.NoSuchProcess:
            pass
    shutil.rmtree(workdir, ignore_errors=True)
    shutil.rmtree(d.state["demo_id"] + "-logs", ignore_errors=True)


def _banner_value(output: str, label: str) -> str:
    match = re.search(rf"^\s*{label}:?\s+(.*)$", output, re.M)
    assert match, f"no {label!r} line in the banner:\n{output}"
    return match.group(1)


def _run_printed(command: str) -> subprocess.CompletedProcess:
    """A command exactly as printed, in a new shell in /tmp."""
    return subprocess.run(shlex.split(command), cwd="/tmp", env=NEW_SHELL, capture_output=True, text=True,
                          timeout=150)


def test_the_printed_urls_answer(kept_demo):
    out = kept_demo.output()
    prom = _banner_value(out, "Prometheus")
    for url in re.findall(r"https?://\S+?(?=[\s,)]|$)", prom):
        status, _, body = http_get(url)
        assert status == 200, f"{url} answered {status}"
    assert "/classic/alerts" in prom  # Debian's 2.42: the classic UI only (/alerts is a 404 there)

    am = _banner_value(out, "Alertmanager")
    api = re.search(r"(http://\S+/api/v2/alerts)", am).group(1)
    status, _, body = http_get(api)
    assert status == 200 and isinstance(json.loads(body), list)
    amtool = re.search(r"or: (.*)\)$", am).group(1)
    run = _run_printed(amtool)
    assert run.returncode == 0 and "Alertname" in run.stdout, run.stderr

    assert http_get(_banner_value(out, "Pages").split()[0])[0] == 200


def test_inject_status_recover_one_line_each_and_pages_shown_live(kept_demo):
    out = kept_demo.output()
    inject = _banner_value(out, "Inject a fault").replace("<scenario>", "tburn-down").replace(" [--for 2m]", "")
    status_cmd = _banner_value(out, "Status")
    recover = _banner_value(out, "Recover")
    cli = shlex.split(inject)[0]
    assert Path(cli).is_absolute() and Path(cli).is_file(), cli
    if "--url" not in inject:  # the banner leaves --url out only on the well-known port
        inject, status_cmd, recover = (f"{c} --url {kept_demo.urls['control']}" for c in (inject, status_cmd, recover))

    run = _run_printed(status_cmd)
    assert run.returncode == 0 and run.stdout.count("\n") == 1, run.stdout + run.stderr
    assert run.stdout.startswith("demo up: ") and "broken now: nothing" in run.stdout
    assert "/classic/alerts" in run.stdout

    run = _run_printed(inject)
    assert run.returncode == 0 and run.stdout.count("\n") == 1, run.stdout + run.stderr
    assert "injected tburn-down" in run.stdout and "expect TburnDown" in run.stdout

    run = _run_printed(status_cmd)
    assert run.stdout.count("\n") == 1 and "broken now: tburn-down" in run.stdout

    summary = _summary("TburnDown")
    firing = re.compile(rf"^\d\d:\d\d:\d\d  pager +FIRING +TburnDown \(critical, tburn[^)]*\): {re.escape(summary)}$", re.M)
    wait_until(lambda: firing.search(kept_demo.output()), 120, 0.5, what="the page in the demo's terminal")

    run = _run_printed(recover.replace(" demo recover", " demo recover tburn-down"))
    assert run.returncode == 0 and run.stdout.count("\n") == 1, run.stdout + run.stderr
    assert run.stdout.rstrip().endswith("recovered tburn-down: cleared health-down on tburn.")

    # Nothing is broken now: a full recover restores nothing and says so (it used to claim
    # "started tidb" every time).
    run = _run_printed(recover)
    assert run.returncode == 0 and run.stdout.count("\n") == 1, run.stdout + run.stderr
    assert "nothing was broken" in run.stdout and "tidb" not in run.stdout

    resolved = re.compile(rf"^\d\d:\d\d:\d\d  pager +RESOLVED +TburnDown \(critical, tburn[^)]*\): {re.escape(summary)}$",
                          re.M)
    wait_until(lambda: resolved.search(kept_demo.output()), 120, 0.5, what="the resolution in the demo's terminal")


def test_ctrl_c_with_keep_leaves_the_logs_and_nothing_else(kept_demo):
    state = kept_demo.state
    assert kept_demo.stop() == 0, kept_demo.output()[-3000:]
    kept = Path(state["demo_id"] + "-logs")
    assert f"Logs kept in {kept}" in kept_demo.output()
    logs = {p.name: p for p in kept.rglob("*.log")}
    assert {"prometheus.log", "alertmanager.log", "webhook.log", "mariadb.log"} <= set(logs), sorted(logs)
    # The real logs, to their end: the pager logged the page the other test caused.
    assert "FIRING TburnDown" in logs["webhook.log"].read_text()
    assert strays(state["demo_id"]) == []
    assert [d for d in state["temp_dirs"] if Path(d).exists()] == []


def test_scripts_demo_runs_a_command_that_exists():
    # The README's first command; its last line is the demo itself (install-deps before it is slow
    # and needs root, so the command is run on its own, with --help).
    exec_line = [line for line in (ROOT / "scripts/demo").read_text().splitlines() if line.startswith("exec ")]
    assert len(exec_line) == 1
    argv = [a for a in shlex.split(exec_line[0])[1:] if a != "$@"] + ["--help"]
    run = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0 and "--keep" in run.stdout, run.stderr
