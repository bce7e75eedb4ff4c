"""The native demo as a system under test: `python -m lookout.cli demo up --random-ports`
(the README's demo command minus install-deps) as a child process, driven through the real
`lookout demo` CLI and read through the real pager (the webhook receiver) and Prometheus."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import psutil
import yaml

from .proc import ROOT, http_get, wait_until

START_TIMEOUT = 240


class Demo:
    def __init__(self, workdir: Path, extra_args: tuple[str, ...] = ()):
        self.workdir = workdir
        self.state_file = workdir / "state.json"
        self.log_path = workdir / "demo-up.log"
        self._log = open(self.log_path, "w")
        self.timings: dict[str, float] = {}
        t0 = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "lookout.cli", "demo", "up", "--random-ports", "--state-file", str(self.state_file),
             *extra_args],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=self._log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL)

        def up():
            if self.proc.poll() is not None:
                raise RuntimeError(f"`lookout demo up` exited with {self.proc.returncode}:\n{self.output()}")
            return self.state_file.exists() and self.state_file.stat().st_size > 0
        try:
            wait_until(up, START_TIMEOUT, 0.5, what="the demo to come up")
        except BaseException:
            self.stop()
            raise
        self.timings["start_seconds"] = time.monotonic() - t0
        self.state = json.loads(self.state_file.read_text())
        self.urls = self.state["urls"]

    def output(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text()

    # --- the CLI ---------------------------------------------------------------------

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        res = subprocess.run([sys.executable, "-m", "lookout.cli", "demo", *args, "--url", self.urls["control"]],
                             cwd=ROOT, capture_output=True, text=True, timeout=150)
        assert res.returncode == 0, f"lookout demo {' '.join(args)} exited {res.returncode}: {res.stderr}"
        return res

    # --- the pager and Prometheus ----------------------------------------------------

    def pages(self) -> list[dict]:
        status, _, body = http_get(self.urls["webhook"] + "/api/notifications", timeout=5)
        assert status == 200
        return json.loads(body)

    def query(self, expr: str) -> list[dict]:
        status, _, body = http_get(self.urls["prometheus"] + "/api/v1/query?" + urllib.parse.urlencode({"query": expr}),
                                   timeout=10)
        answer = json.loads(body)
        assert status == 200 and answer["status"] == "success", f"{expr}: {answer}"
        return answer["data"]["result"]

    def rule_for_seconds(self, alert: str) -> float:
        """The shortest `for` of `alert` in the rules this demo loaded."""
        from lookout.durations import seconds
        durations = []
        for path in (Path(self.state["demo_id"]) / "rules").glob("*.yml"):
            for group in (yaml.safe_load(path.read_text()) or {}).get("groups", []):
                for rule in group["rules"]:
                    if rule.get("alert") == alert:
                        durations.append(seconds(rule["for"]) if rule.get("for") else 0.0)
        assert durations, f"no rule for {alert} in the demo's rules"
        return min(durations)

    # --- stopping --------------------------------------------------------------------

    def stop(self) -> int:
        """What Ctrl-C does: SIGINT to `lookout demo up`, then wait for it to finish."""
        if self.proc.poll() is None:
            t0 = time.monotonic()
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(120)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.timings["stop_seconds"] = time.monotonic() - t0
        self._log.close()
        return self.proc.returncode


def strays(demo_id: str) -> list[str]:
    """Processes still carrying the demo's marker (every child of the orchestrator has it)."""
    left = []
    for p in psutil.process_iter():
        try:
            if p.environ().get("LOOKOUT_DEMO_ID") == demo_id:
                left.append(f"{p.pid} {' '.join(p.cmdline())[:120]}")
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return left
