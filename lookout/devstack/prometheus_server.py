"""A real Prometheus (Debian's /usr/bin/prometheus) for tests: loopback, random port, its
own temp TSDB, optional scrape targets and rule files; stopped and removed afterwards."""
from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import urllib.parse
from pathlib import Path

import yaml

from .proc import free_port, http_get, wait_until

BINARY = shutil.which("prometheus") or "/usr/bin/prometheus"


class PrometheusServer:
    def __init__(self, targets: dict[str, list[str]] | None = None, rule_files: list[Path] = (),
                 scrape_interval: str = "1s", evaluation_interval: str = "1s", alertmanagers: list[str] = (),
                 job_options: dict[str, dict] | None = None):
        self.dir = Path(tempfile.mkdtemp(prefix="lookout-prom-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = {
            "global": {"scrape_interval": scrape_interval, "evaluation_interval": evaluation_interval},
            "rule_files": [str(p) for p in rule_files],
            # job_options: extra scrape settings per job (basic_auth, scheme, ...)
            "scrape_configs": [{"job_name": job, "static_configs": [{"targets": list(addrs)}],
                                **(job_options or {}).get(job, {})}
                               for job, addrs in (targets or {}).items()],
        }
        if alertmanagers:  # "127.0.0.1:port" of Alertmanagers to send firing alerts to
            config["alerting"] = {"alertmanagers": [{"static_configs": [{"targets": list(alertmanagers)}]}]}
        self.config_path = self.dir / "prometheus.yml"
        self.config_path.write_text(yaml.safe_dump(config))
        self.log_path = self.dir / "prometheus.log"
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [BINARY, f"--config.file={self.config_path}", f"--storage.tsdb.path={self.dir / 'data'}",
             f"--web.listen-address=127.0.0.1:{self.port}", "--log.level=warn"],
            stdout=self._log, stderr=subprocess.STDOUT, cwd=self.dir)

    def wait_ready(self, timeout: float = 30.0) -> "PrometheusServer":
        def ready():
            if self.proc.poll() is not None:
                raise RuntimeError(f"prometheus exited with {self.proc.returncode}: {self.log_path.read_text()}")
            return http_get(self.url + "/-/ready", timeout=2)[0] == 200
        wait_until(ready, timeout, what=f"prometheus on {self.url}")
        return self

    def query(self, expr: str) -> dict:
        """The /api/v1/query answer as JSON, whether it succeeded or not."""
        status, _, body = http_get(self.url + "/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
        answer = json.loads(body)
        answer["http_status"] = status
        return answer

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> "PrometheusServer":
        try:
            return self.wait_ready()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()
