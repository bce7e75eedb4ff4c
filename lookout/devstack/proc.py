"""Processes and HTTP helpers shared by every test area."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check, timeout: float = 20.0, interval: float = 0.1, what: str = "condition"):
    """Poll `check()` until it returns a truthy value; that value is returned."""
    end = time.monotonic() + timeout
    last_exc = None
    while time.monotonic() < end:
        try:
            value = check()
            if value:
                return value
        except Exception as exc:  # the thing polled may not be up yet
            last_exc = exc
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}" + (f": {last_exc!r}" if last_exc else ""))


def http_get(url: str, headers: dict | None = None, timeout: float = 10.0, context=None) -> tuple[int, dict, str]:
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=context) as resp:
            return resp.status, dict(resp.headers), resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode()


class Flood:
    """`threads` clients sending GET `url` with `headers` over and over (a wrong password, say)
    while the block runs; failures are ignored. The threads are joined at the end."""

    def __init__(self, url: str, headers: dict, threads: int = 40):
        import threading
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(url, headers), daemon=True) for _ in range(threads)]

    def _run(self, url: str, headers: dict) -> None:
        while not self._stop.is_set():
            try:
                http_get(url, headers, timeout=10)
            except OSError:
                pass

    def __enter__(self) -> "Flood":
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(15)


class Metrics:
    """Parsed exposition with lookups by name and labels."""

    def __init__(self, text: str):
        self.text = text
        self.samples = [s for fam in text_string_to_metric_families(text) for s in fam.samples]

    def get(self, metric: str, /, **labels) -> float | None:
        # positional-only, so that a label called `name` (PM2's) can be matched too
        for s in self.samples:
            if s.name == metric and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
        return None

    def all(self, name: str) -> list:
        return [s for s in self.samples if s.name == name]

    def __getitem__(self, name: str) -> float:
        value = self.get(name)
        if value is None:
            raise KeyError(f"{name} not in exposition")
        return value


def scrape(base_url: str, timeout_header: float | None = None, **kw) -> Metrics:
    headers = {}
    if timeout_header is not None:
        headers["X-Prometheus-Scrape-Timeout-Seconds"] = str(timeout_header)
    status, _, body = http_get(base_url + "/metrics", headers, **kw)
    assert status == 200, f"/metrics answered {status}: {body[:300]}"
    return Metrics(body)


class ExporterProcess:
    """`python -m lookout.exporters.<domain>` (or `module`) as a real child process, logs kept in a file."""

    def __init__(self, domain: str, config: Path | None, workdir: Path, env: dict | None = None,
                 extra_args: list[str] | None = None, tls: bool = False, module: str = "",
                 preexec_fn=None, command: list[str] | None = None):
        """`module`: another entry point than the domain's exporter (lookout.remediate);
        `preexec_fn`: run in the child before exec (a resource limit); `command`: the program
        instead of `python -m <module>` (an installed console script), run outside the checkout
        with the environment's PYTHONPATH and VIRTUAL_ENV removed."""
        self.port = free_port()
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self.log_path = workdir / f"{domain}-exporter.log"
        args = [*(command or [sys.executable, "-m", module or f"lookout.systems.{domain}.exporter"]),
                "--listen", f"127.0.0.1:{self.port}"]
        if config:
            args += ["--config", str(config)]
        args += extra_args or []
        if command:
            base = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
            full_env, cwd = {**base, **(env or {})}, workdir
        else:
            full_env, cwd = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}, ROOT
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(args, cwd=cwd, env=full_env, stdout=self._log, stderr=subprocess.STDOUT,
                                     preexec_fn=preexec_fn)

    def wait_ready(self, timeout: float = 15.0, context=None) -> "ExporterProcess":
        def ready():
            if self.proc.poll() is not None:
                raise RuntimeError(f"exporter exited with {self.proc.returncode}: {self.logs()}")
            try:
                return http_get(self.url + "/-/healthy", timeout=2, context=context)[0] in (200, 401)
            except OSError:
                return False
        wait_until(ready, timeout, what=f"exporter on {self.url}")
        return self

    def logs(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text()

    def stop(self) -> int:
        terminate(self.proc)
        self._log.close()
        return self.proc.returncode


def bare_python(code: str, *args: str, timeout: float = 60) -> str:
    """stdout of `python -S -c code args... <purelib>`: an interpreter without site's .pth files,
    as an installed exporter starts (the editable install's finder and its imports stay out),
    given this venv's site-packages as its last argument to put on sys.path itself. Run in
    ROOT; AssertionError with the child's stderr if it exits non-zero."""
    import sysconfig
    res = subprocess.run([sys.executable, "-S", "-c", code, *args, sysconfig.get_paths()["purelib"]], cwd=ROOT,
                         capture_output=True, text=True, timeout=timeout)
    assert res.returncode == 0, res.stderr
    return res.stdout


def terminate(proc: subprocess.Popen, timeout: float = 10) -> int:
    """SIGTERM, and SIGKILL if it has not gone within `timeout`."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def write_yaml(path: Path, base: dict, **sections) -> Path:
    """`base` with each section merged one level deep (dicts) or replaced, written as YAML."""
    import yaml
    cfg = {k: dict(v) if isinstance(v, dict) else v for k, v in base.items()}
    for key, value in sections.items():
        if isinstance(value, dict) and isinstance(cfg.get(key), dict):
            cfg[key].update(value)
        else:
            cfg[key] = value
    path.write_text(yaml.safe_dump(cfg))
    return path


def exporter_fixture(domain: str):
    """A pytest fixture `exporter(config_path, **kw)` starting `python -m lookout.exporters.<domain>`,
    every started process stopped at teardown."""
    import pytest

    @pytest.fixture
    def exporter(tmp_path):
        started: list[ExporterProcess] = []

        def start(config, **kw):
            proc = ExporterProcess(domain, config, tmp_path, **kw)
            started.append(proc)
            return proc.wait_ready()
        yield start
        for proc in started:
            proc.stop()
    return exporter


def promtool_check_metrics(text: str) -> str:
    """`promtool check metrics` output; empty means the exposition follows the conventions."""
    res = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True)
    return (res.stdout + res.stderr).strip()
