"""Every exporter takes the command line Prometheus users know (node_exporter's, mysqld_exporter's):
--version, --web.listen-address, --web.telemetry-path, --log.level (with `warn`), --log.format,
--config.file; flags win over the file; /metrics gzips when asked and carries process_* metrics.

Real exporter processes; their backends are deliberately absent (port 1), which costs no
server and still gives real output: self-metrics, process metrics and warn-level failures.
Expected values come from elsewhere: the version from the installed package's metadata, the
revision from git, the process figures from /proc via psutil, the exposition rules from promtool.
"""
from __future__ import annotations

import gzip
import importlib.metadata
import json
import platform
import subprocess
import sys
import urllib.error
import urllib.request

import psutil
import pytest
import yaml

from lookout.devstack.proc import ROOT, Metrics, free_port, promtool_check_metrics, terminate, wait_until

# The smallest config that starts each exporter against a backend that is not there.
CONFIGS = {
    "nectar": {"database": {"host": "127.0.0.1", "port": 1, "connect_timeout_seconds": 0.5}},
    "ticks": {"database": {"dsn": "postgresql://lookout@127.0.0.1:1/ticks", "connect_timeout_seconds": 0.5}},
    "pm2": {"daemon": {"home": "{tmp}/pm2-home"}, "health": None},
    "tburn": {"base_url": "http://127.0.0.1:1"},
}


def _write_config(tmp_path, key: str, **runtime) -> str:
    cfg = json.loads(json.dumps(CONFIGS[key]).replace("{tmp}", str(tmp_path)))
    cfg.update(runtime)
    path = tmp_path / f"{key}.yml"
    path.write_text(yaml.safe_dump(cfg))
    return str(path)


def _get(url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=20) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


class _Exporter:
    def __init__(self, key: str, args: list[str], tmp_path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp_path / f"{key}.log"
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", f"lookout.systems.{key}.exporter",
                 "--web.listen-address", f"127.0.0.1:{self.port}", *args],
                cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)

    def wait_ready(self):
        def ready():
            assert self.proc.poll() is None, f"exited {self.proc.returncode}: {self.log_path.read_text()}"
            return _get(self.url + "/-/healthy")[0] == 200
        wait_until(ready, 30, what=f"exporter on {self.url}")
        return self

    def lines(self) -> list[str]:
        return [line for line in self.log_path.read_text().splitlines() if line.strip()]


@pytest.fixture
def exporters():
    started = []
    yield lambda *a: started.append(_Exporter(*a)) or started[-1]
    for e in started:
        terminate(e.proc)


@pytest.mark.parametrize("key", sorted(CONFIGS))
def test_version_names_version_revision_and_python(key):
    run = subprocess.run([sys.executable, "-m", f"lookout.systems.{key}.exporter", "--version"],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    revision = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    first, *rest = run.stdout.splitlines()
    assert first == f"lookout-{key}, version {importlib.metadata.version('lookout')} (revision: {revision})"
    assert any(line.split() == ["python", "version:", platform.python_version(),
                                f"({platform.python_implementation()})"] for line in rest), run.stdout


@pytest.mark.parametrize("key", sorted(CONFIGS))
def test_flags_override_the_file_and_metrics_gzip_when_asked(key, tmp_path, exporters):
    # The file says one thing, the flags another: the flags win.
    config = _write_config(tmp_path, key, web={"telemetry_path": "/from-file"}, log={"level": "debug"})
    e = exporters(key, ["--config.file", config, "--web.telemetry-path", "/probe/metrics",
                        "--log.level", "warn", "--log.format", "json"], tmp_path).wait_ready()

    assert _get(e.url + "/metrics")[0] == 404
    assert _get(e.url + "/from-file")[0] == 404
    status, _, landing = _get(e.url + "/")
    assert status == 200 and b'href="probe/metrics"' in landing

    status, headers, raw = _get(e.url + "/probe/metrics", {"Accept-Encoding": "gzip"})
    assert status == 200 and headers.get("Content-Encoding") == "gzip", headers
    text = gzip.decompress(raw).decode()
    assert promtool_check_metrics(text) == ""
    m = Metrics(text)
    assert m[f"{key}_up"] == 0  # its backend is absent
    proc = psutil.Process(e.proc.pid)
    assert abs(m["process_start_time_seconds"] - proc.create_time()) < 2
    assert m["process_resident_memory_bytes"] > 0 and m["process_open_fds"] >= 3
    assert m["process_max_fds"] == proc.rlimit(psutil.RLIMIT_NOFILE)[0]

    for refused in ({}, {"Accept-Encoding": "gzip;q=0"}, {"Accept-Encoding": "br"}):
        status, headers, raw = _get(e.url + "/probe/metrics", refused)
        assert status == 200 and "Content-Encoding" not in headers, (refused, headers)
        assert f"{key}_up 0".encode() in raw

    # --log.level warn and --log.format json: JSON lines, none below warn, and the failed
    # collection (the backend is absent) was logged at warn.
    lines = wait_until(lambda: [json.loads(line) for line in e.lines()] or None, 20, what="a log line")
    assert {line["level"] for line in lines} <= {"warn", "error"}, lines
    assert any(line["level"] == "warn" for line in lines)


def test_warn_in_the_config_file_and_the_old_spellings(tmp_path, exporters):
    config = _write_config(tmp_path, "nectar", log={"level": "warn"})
    e = exporters("nectar", ["--config", config], tmp_path).wait_ready()
    assert _get(e.url + "/metrics")[0] == 200
    lines = wait_until(e.lines, 20, what="a log line")
    assert all(line.split()[1] == "level=warn" for line in lines), lines

    # The pre-standard spellings still work: --listen, --config, --web-config.
    port = free_port()
    web = tmp_path / "web.yml"
    web.write_text("{}\n")
    old = subprocess.Popen([sys.executable, "-m", "lookout.systems.nectar.exporter", "--listen", f"127.0.0.1:{port}",
                            "--config", config, "--web-config", str(web)], cwd=ROOT,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: _get(f"http://127.0.0.1:{port}/metrics")[0] == 200, 30, what="the old spellings")
    finally:
        terminate(old)


@pytest.mark.parametrize("path", ["metrics", "/metrics?x=1", "/-/healthy"])
def test_a_bad_telemetry_path_exits_2_naming_the_key(path, tmp_path):
    config = _write_config(tmp_path, "nectar")
    run = subprocess.run([sys.executable, "-m", "lookout.systems.nectar.exporter", "--config", config,
                          "--web.telemetry-path", path, "--check-config"],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "web.telemetry_path" in run.stderr and "Traceback" not in run.stderr
