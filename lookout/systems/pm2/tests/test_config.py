"""Bad configuration exits non-zero and names the key; secrets stay out of the error text."""
import os
import subprocess
import sys

import pytest

from lookout.devstack.proc import ROOT

SECRET = "bearer-in-url-Qx81-secret"


def check(tmp_path, text: str, env: dict | None = None) -> subprocess.CompletedProcess:
    cfg = tmp_path / "pm2.yaml"
    cfg.write_text(text)
    return subprocess.run([sys.executable, "-m", "lookout.systems.pm2.exporter", "--config", str(cfg), "--check-config"],
                          cwd=ROOT, capture_output=True, text=True, timeout=30,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})


@pytest.mark.parametrize("text, key", [
    ("daemon: {timeout_seconds: -1}\n", "daemon.timeout_seconds"),
    ("daemon: {max_processes: 0}\n", "daemon.max_processes"),
    ("daemon: {jlist_fallback: maybe}\n", "daemon.jlist_fallback"),
    ("daemon: {sockett: /x}\n", "daemon.sockett"),
    ("health: {url: 'ftp://x/health'}\n", "health.url"),
    ("health: {url: 'http://x/server/health', stats_url: 'file:///x'}\n", "health.stats_url"),
    ("health: {url: 'http://x/server/health', fields: {queue_depth: 'queue.depth'}}\n", "health.fields"),
    ("sync_log: {process_name: ''}\n", "sync_log.process_name"),
    ("health: {url: 'http://x/health', bearer_token_file: /nonexistent/token}\n", "health.bearer_token_file"),
    ("host: {enabled: 3}\n", "host.enabled"),
])
def test_bad_config_names_the_key(tmp_path, text, key):
    res = check(tmp_path, text)
    assert res.returncode == 2, res.stdout
    assert f"configuration error: {key}" in res.stderr


def test_env_override_names_the_variable(tmp_path):
    res = check(tmp_path, "{}\n", {"PM2_DAEMON__TIMEOUT_SECONDS": "soon"})
    assert res.returncode == 2
    assert "daemon.timeout_seconds" in res.stderr and "environment" in res.stderr


def test_secret_in_url_is_redacted(tmp_path):
    res = check(tmp_path, f"health: {{url: 'ftp://sync:{SECRET}@127.0.0.1/health'}}\n")
    assert res.returncode == 2 and "health.url" in res.stderr
    assert SECRET not in res.stderr + res.stdout


def test_good_config_lists_collectors(tmp_path):
    # Defaults: the rss-sync-server app's endpoints on :3001 and its PM2 log files.
    res = check(tmp_path, "{}\n")
    assert res.returncode == 0, res.stderr
    assert "(5 collectors: processes, health, sync_stats, sync_log, host)" in res.stdout
    res = check(tmp_path, "health: null\nsync_log: {enabled: false}\nhost: {enabled: false}\n")
    assert "(1 collectors: processes)" in res.stdout, res.stdout + res.stderr
