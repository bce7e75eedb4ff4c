"""A simulator as a real child process, driven through the control API the simulators share
(`/_sim/faults`, `/_sim/reset`): any module taking `--listen HOST:PORT`, the TBURN simulator by
default (the first one it ran)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

from .proc import ROOT, ExporterProcess, free_port, http_get, wait_until


class SimulatorProcess(ExporterProcess):
    """`python -m lookout.systems.tburn.simulator` on 127.0.0.1 and a free port, logs kept in a file.

    Started, logged and stopped as an ExporterProcess is; only readiness differs.
    """

    def __init__(self, workdir: Path, extra_args: list[str] | None = None, module: str = "lookout.systems.tburn.simulator",
                 port: int | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / f"{module.rsplit('.', 1)[-1]}-simulator.log"
        self._log = open(self.log_path, "w")
        args = [sys.executable, "-m", module, "--listen", f"127.0.0.1:{self.port}", *(extra_args or [])]
        self.proc = subprocess.Popen(args, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                                     stdout=self._log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 15.0) -> "SimulatorProcess":
        def ready():
            if self.proc.poll() is not None:
                raise RuntimeError(f"simulator exited with {self.proc.returncode}: {self.logs()}")
            return http_get(self.url + "/_sim/faults", timeout=2)[0] == 200
        wait_until(ready, timeout, what=f"simulator on {self.url}")
        return self

    def control(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    def inject(self, name: str, duration: float | None = None, **params) -> dict:
        body = dict(params)
        if duration is not None:
            body["for"] = duration
        status, answer = self.control("POST", f"/_sim/faults/{name}", body)
        assert status == 200, f"inject {name} refused ({status}): {answer}"
        return answer

    def clear(self, name: str) -> dict:
        return self.control("DELETE", f"/_sim/faults/{name}")[1]

    def reset(self) -> None:
        status, answer = self.control("POST", "/_sim/reset")
        assert status == 200, answer

    def get_json(self, path: str) -> dict:
        status, _, body = http_get(self.url + path)
        assert status == 200, f"{path} answered {status}"
        return json.loads(body)
