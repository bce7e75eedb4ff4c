"""The landing page says what the exporter watches, its version, and links to the metrics and
the runbooks (issue 25), and never shows a credential from the configuration."""
from __future__ import annotations

import yaml

from lookout import __version__
from lookout.devstack.proc import ExporterProcess, http_get

PASSWORD = "Landing-Pw-7731"


def test_nectar_landing_page(tmp_path):
    cfg = tmp_path / "c.yml"
    cfg.write_text(yaml.safe_dump({
        "database": {"host": "127.0.0.1", "port": 1, "user": "monitor", "password": PASSWORD,
                     "connect_timeout_seconds": 0.5},
        "web": {"runbooks_url": "https://git.example.com/ops/lookout/blob/main/docs/runbooks.md"}}))
    p = ExporterProcess("nectar", cfg, tmp_path).wait_ready()
    try:
        status, headers, page = http_get(p.url + "/")
    finally:
        p.stop()
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert f"version {__version__}" in page
    assert "database.host: 127.0.0.1" in page and "database.port: 1" in page and "database.database: nectar" in page
    assert 'href="metrics"' in page
    assert 'href="https://git.example.com/ops/lookout/blob/main/docs/runbooks.md"' in page
    assert PASSWORD not in page and "monitor" not in page


def test_ticks_landing_page_shows_the_dsn_without_its_credentials(tmp_path):
    cfg = tmp_path / "c.yml"
    cfg.write_text(yaml.safe_dump({"database": {
        "dsn": f"postgresql://ticks_reader:{PASSWORD}@127.0.0.1:1/ticks?sslmode=disable&password={PASSWORD}",
        "connect_timeout_seconds": 0.5}}))
    p = ExporterProcess("ticks", cfg, tmp_path).wait_ready()
    try:
        page = http_get(p.url + "/")[2]
    finally:
        p.stop()
    assert "database.dsn: postgresql://127.0.0.1:1/ticks" in page
    assert PASSWORD not in page and "ticks_reader" not in page
    assert "docs/runbooks.md" in page
